; Python: what the ISG takes from a file. Capture names follow tree-sitter's code-navigation vocabulary:
; @definition.<kind> marks a declaration, @name its name, @import an import, @reference.* what bodies refer to.
; The extractor (isg_lsp/languages/python.py) maps each capture name to one handler.

; ---- imports (first pass) ----
(import_statement) @import
(import_from_statement) @import.from
; Module-level names bound by assignment: TypeVars (`T = TypeVar("T")`, `T = t.TypeVar("T")`), type aliases
; (`Json = Dict[str, Any]`, `X: TypeAlias = ...`, `type X = ...`), NewTypes: annotations naming them refer to no class.
; Also in the blocks of a module-level `if` (`if TYPE_CHECKING:`) or `try`.
(module (expression_statement (assignment left: (identifier) @name))) @definition.typevar
(module (type_alias_statement left: (type (identifier) @name))) @definition.typevar
(module (if_statement consequence: (block (expression_statement (assignment left: (identifier) @name)))))
  @definition.typevar
(module (if_statement alternative: (_ body: (block (expression_statement (assignment left: (identifier) @name))))))
  @definition.typevar
(module (try_statement body: (block (expression_statement (assignment left: (identifier) @name)))))
  @definition.typevar
; module-level classes (a class of the same name as an assignment stays a class)
(module (class_definition name: (identifier) @name) @definition.toplevel)
(module (decorated_definition definition: (class_definition name: (identifier) @name) @definition.toplevel))
(module (if_statement consequence: (block (class_definition name: (identifier) @name) @definition.toplevel)))
(module (if_statement alternative: (_ body: (block (class_definition name: (identifier) @name) @definition.toplevel))))
(module (try_statement body: (block (class_definition name: (identifier) @name) @definition.toplevel)))

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
