; TypeScript (and TSX): the imports and exports of a file, read before its declarations and bodies
; (typescript.scm): a name used anywhere in the file is resolved through them. Read on its own over the whole file
; when the file's items are extracted one at a time (an editor's file, with its item cache); read together with
; typescript.scm in one pass otherwise (and with javascript.scm for JavaScript files, which are always read whole).
; Compiles against the typescript, tsx and javascript grammars.

(import_statement source: (string) @import.source) @import
(export_statement source: (string) @import.source) @import.reexport
(export_statement (export_clause) @export.clause !source) @export.local
(export_statement "default" value: (identifier) @export.value) @export.default
(program (lexical_declaration
  (variable_declarator name: (_) @import.binding
    value: (call_expression function: (identifier) @_require arguments: (arguments (string) @import.source)))
  (#eq? @_require "require")) @import.require)
(program (variable_declaration
  (variable_declarator name: (_) @import.binding
    value: (call_expression function: (identifier) @_require arguments: (arguments (string) @import.source)))
  (#eq? @_require "require")) @import.require)

