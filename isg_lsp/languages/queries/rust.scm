; Rust: what the ISG takes from a file. Capture names follow tree-sitter's code-navigation vocabulary:
; @definition.<kind> marks an item, @name its name, @import a `use`, @reference.* what bodies refer to.
; The extractor (isg_lsp/languages/rust.py) maps each capture name to one handler.

(mod_item name: (identifier) @name) @definition.module
(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(type_item name: (type_identifier) @name) @definition.type_alias
(associated_type name: (type_identifier) @name) @definition.assoc_type
(impl_item type: (_) @impl.type) @definition.impl
(const_item type: (_) @const.type) @definition.const

(use_declaration argument: (_) @import.tree) @import
(extern_crate_declaration name: (_) @import.crate) @import.extern

(call_expression function: (_) @reference.callee) @reference.call
(macro_invocation) @reference.macro

; receiver types (languages/infer.py): the bindings of a function body, closures
(let_declaration pattern: (_) @local.pattern) @local.definition
(for_expression pattern: (_) @local.pattern value: (_) @local.iterable) @local.for
(closure_expression) @local.function
