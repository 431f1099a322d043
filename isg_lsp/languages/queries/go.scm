; Go: what the ISG takes from a file. Capture names follow tree-sitter's code-navigation vocabulary:
; @definition.<kind> marks a declaration, @name its name, @import an import, @reference.* what bodies refer to,
; @local.* the declarations that give a variable its type (for `x.M()` calls).
; The extractor (isg_lsp/languages/go.py) maps each capture name to one handler.

(package_clause (package_identifier) @name) @definition.package
(import_spec path: (_) @import.path) @import

; a type spec's kind (struct, interface, other) is read from its `type` field by the extractor
(type_spec name: (type_identifier) @name type: (_) @definition.type.value) @definition.type
(type_alias name: (type_identifier) @name type: (_) @definition.type.value) @definition.type_alias
(method_elem name: (field_identifier) @name) @definition.interface_method

(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method

(var_spec name: (identifier) @local.name type: (_) @local.type) @local.definition
(short_var_declaration
  left: (expression_list . (identifier) @local.name)
  right: (expression_list . [
    (composite_literal type: (_) @local.type)
    (unary_expression operand: (composite_literal type: (_) @local.type))
  ])) @local.definition

(call_expression function: (_) @reference.callee) @reference.call
; `F[T](x)` parses as a conversion to a generic type: a call of F when F is a function (resolution decides)
(type_conversion_expression type: (generic_type) @reference.callee) @reference.call

; receiver types (languages/infer.py): the bindings of a function body, closures
(short_var_declaration left: (expression_list) @local.names right: (expression_list) @local.values) @local.short
(range_clause left: (expression_list) @local.names right: (_) @local.iterable) @local.range
(func_literal) @local.function
(var_spec name: (identifier) @local.name !type value: (expression_list) @local.values) @local.untyped
