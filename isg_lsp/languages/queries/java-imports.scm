; Java: what a file's items are read against (the extractor runs it first; with an item cache, over the root's
; children only when the tree has no error, since only there can these stand in a tree without one).

(package_declaration) @definition.package
(import_declaration) @import
