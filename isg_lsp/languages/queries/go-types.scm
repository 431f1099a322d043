; Go: the named types a type expression mentions (`map[string][]util.Tag` gives util.Tag).
; Predeclared names (int, string, any, ...) are captured too: the extractor drops them.

(type_identifier) @type
(qualified_type) @type
