; Rust: the file-level outline read before items are extracted one by one: modules, imports, and the names of the
; types a module declares (impl headers anywhere in the file are named through them). Same capture names as
; rust.scm.

(mod_item name: (identifier) @name) @definition.module
(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait
(type_item name: (type_identifier) @name) @definition.type_alias

(use_declaration argument: (_) @import.tree) @import
(extern_crate_declaration name: (_) @import.crate) @import.extern

; an item-position macro call: its tokens may be items (`cfg_rt! { pub mod x; pub use y::Z; }`), read by the extractor
(macro_invocation) @outline.macro
