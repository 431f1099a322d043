; Java: the named types a type expression mentions (`Map<String, List<Foo>>` gives Map, String, List, Foo).
; Primitive types (int, boolean, void, ...) have node types of their own and are never captured.

(type_identifier) @type
(scoped_type_identifier) @type
