; JavaScript (and JSX): what the ISG takes from a file; the same capture names as typescript.scm, written against
; the tree-sitter-javascript grammar (its classes are named by `identifier`, its fields are `field_definition`, and it
; has no interfaces, enums, type aliases or type annotations). Its imports and exports are typescript-imports.scm's
; (the extractor reads `typescript-imports+javascript`).

; ---- declarations ----
(class_declaration name: (identifier) @name) @definition.class
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)] @function.value) @definition.variable
(export_statement "default" value: [(function_expression) (arrow_function) (generator_function)] @function.value)
  @definition.default_function
(method_definition name: (_) @name) @definition.method
(field_definition property: (_) @name) @definition.field

; ---- references in bodies ----
(call_expression function: (_) @reference.callee) @reference.call
(new_expression constructor: (_) @reference.constructor) @reference.new

; receiver types (languages/infer.py): the bindings of a function body, nested functions, `this.x = ...`
(variable_declarator name: (identifier) @local.name) @local.definition
(for_in_statement left: (identifier) @local.name right: (_) @local.iterable) @local.for
[(arrow_function) (function_expression) (generator_function)] @local.function
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @local.name)
  right: (_) @local.value) @local.assign
; narrowing: `if (isFoo(x)) ...`, `x instanceof Foo && ...`, `c ? a : b`
(if_statement condition: (_) @narrow.condition consequence: (_) @narrow.region) @narrow
(ternary_expression condition: (_) @narrow.condition consequence: (_) @narrow.region) @narrow
(binary_expression left: (_) @narrow.condition operator: "&&" right: (_) @narrow.region) @narrow
