; Python: what a file's items are read against, found before its declarations and bodies (python.scm): the
; imports, the module-level names bound by assignment, the module-level classes. Read on its own over the whole file
; when the file's items are extracted one at a time (an editor's file, with its item cache); read together with
; python.scm in one pass otherwise (`python-imports+python`).

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

