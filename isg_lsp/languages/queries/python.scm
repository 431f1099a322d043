; Python: what the ISG takes from a file. Capture names follow tree-sitter's code-navigation vocabulary:
; @definition.<kind> marks a declaration, @name its name, @import an import, @reference.* what bodies refer to.
; The extractor (isg_lsp/languages/python.py) maps each capture name to one handler.

; ---- imports (first pass) ----
(import_statement) @import
(import_from_statement) @import.from
; `T = TypeVar("T")`: a type variable, which annotations name without referring to a type
(module (expression_statement (assignment left: (identifier) @name right: (call function: (_) @_callee)))
  (#match? @_callee "^(typing\\.|typing_extensions\\.)?(TypeVar|ParamSpec|TypeVarTuple)$")) @definition.typevar

; ---- declarations ----
(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
(assignment left: (_) @field.target type: (type) @field.type) @definition.field

; ---- references in bodies ----
(call function: (_) @reference.callee) @reference.call
