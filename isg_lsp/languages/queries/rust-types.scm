; Rust: the named types a type expression mentions (`Option<Vec<Foo>>` gives Option, Vec, Foo).
; @type is a named type; @trait marks the trait of `impl Trait` / `dyn Trait`.

(type_identifier) @type
(scoped_type_identifier) @type
(abstract_type trait: (_) @trait)
(dynamic_type trait: (_) @trait)
