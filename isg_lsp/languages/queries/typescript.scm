; TypeScript (and TSX): what the ISG takes from a file. Capture names follow tree-sitter's code-navigation
; vocabulary: @definition.<kind> marks a declaration, @name its name, @import an import, @reference.* what bodies
; refer to. The extractor (isg_lsp/languages/typescript.py) maps each capture name to one handler.
; Only node types that the typescript and tsx grammars share are used: this file compiles against both.
; The imports and exports are in typescript-imports.scm (read first, or in the same pass: `typescript-imports+typescript`).

; ---- declarations ----
(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(type_alias_declaration name: (type_identifier) @name) @definition.type
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(function_signature name: (identifier) @name) @definition.function
(variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)] @function.value) @definition.variable
(export_statement "default" value: [(function_expression) (arrow_function) (generator_function)] @function.value)
  @definition.default_function
(method_definition name: (_) @name) @definition.method
(method_signature name: (_) @name) @definition.method
(abstract_method_signature name: (_) @name) @definition.method
(public_field_definition name: (_) @name) @definition.field
(property_signature name: (_) @name) @definition.field
(internal_module name: (_) @name) @definition.namespace
(module name: (_) @name) @definition.ambient_module
(ambient_declaration (statement_block) @scope.local) @definition.ambient_global

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
