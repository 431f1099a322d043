; TypeScript: the named types a type expression mentions (`Promise<Array<Foo>>` gives Promise, Array, Foo).
; @type is a named type (`ns.Foo` is one, with its qualifier); @type.bound names a type variable that the
; expression binds itself (`infer U`, `[K in keyof T]`, the `<T>` of a function type or call signature inside it:
; `array: <T>(xs: T[]) => T`), which is no reference.

(type_identifier) @type
(nested_type_identifier) @type
(infer_type (type_identifier) @type.bound)
(mapped_type_clause name: (type_identifier) @type.bound)
(type_parameter name: (type_identifier) @type.bound)
