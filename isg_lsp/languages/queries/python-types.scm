; Python: the named types an annotation mentions (`Optional[List[Foo]]` gives Optional, List, Foo).
; @type is a name or a dotted name; @type.string a string annotation (a forward reference), read by the extractor.

(identifier) @type
(attribute) @type
(string) @type.string
