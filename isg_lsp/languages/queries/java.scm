; Java: what the ISG takes from a file. Capture names follow tree-sitter's code-navigation vocabulary:
; @definition.<kind> marks a declaration, @name its name, @import an import, @reference.* what bodies refer to,
; @local.* the declarations that give a variable its type (for `x.m()` calls).
; The extractor (isg_lsp/languages/java.py) maps each capture name to one handler.

; the package and imports are in java-imports.scm

(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.record
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.annotation
(enum_declaration name: (identifier) @name) @definition.enum

(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.constructor
(compact_constructor_declaration name: (identifier) @name) @definition.constructor
(annotation_type_element_declaration name: (identifier) @name) @definition.method

; bodies of anonymous classes and of enum constants: their members are not workspace items
(enum_constant body: (class_body) @local.body) @local.scope

(local_variable_declaration type: (_) @local.type) @local.definition
(enhanced_for_statement type: (_) @local.type name: (identifier) @local.name) @local.definition
(resource type: (_) @local.type name: (identifier) @local.name) @local.definition
(catch_formal_parameter (catch_type) @local.type name: (identifier) @local.name) @local.definition
(lambda_expression parameters: (_) @local.params) @local.lambda

(method_invocation name: (identifier) @name) @reference.call
(object_creation_expression type: (_) @reference.type) @reference.new
(explicit_constructor_invocation constructor: (_) @reference.constructor) @reference.this_or_super
(method_reference) @reference.method_ref
