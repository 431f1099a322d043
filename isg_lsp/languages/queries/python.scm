; Python: what the ISG takes from a file. Capture names follow tree-sitter's code-navigation vocabulary:
; @definition.<kind> marks a declaration, @name its name, @import an import, @reference.* what bodies refer to.
; The extractor (isg_lsp/languages/python.py) maps each capture name to one handler. What is read first (imports,
; module-level names and classes) is in python-imports.scm.

; ---- declarations ----
(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
(assignment left: (_) @field.target type: (type) @field.type) @definition.field

; ---- references in bodies ----
(call function: (_) @reference.callee) @reference.call

; receiver types (languages/infer.py): the bindings of a function body, nested functions, `self.x = ...`
(assignment left: (identifier) @local.name) @local.definition
(for_statement left: (identifier) @local.name right: (_) @local.iterable) @local.for
[(list_comprehension) (set_comprehension) (dictionary_comprehension) (generator_expression)] @local.comprehension
(as_pattern (_) @local.value (as_pattern_target (identifier) @local.name)) @local.with
(lambda) @local.function
(assignment left: (attribute object: (identifier) @local.self attribute: (identifier) @local.name) right: (_) @local.value)
  @local.assign
(assignment left: [(pattern_list) (tuple_pattern) (list_pattern)] @local.names) @local.unpack
(for_statement left: [(pattern_list) (tuple_pattern)] @local.names) @local.unpack
