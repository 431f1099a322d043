// Go ground truth from go/types (standard library only): declarations, embedding, structural IMPL from
// types.Implements, and calls resolved by the type checker (types.Info.Uses on call expressions), written as
// ISG-SPEC JSONL records without ids (go.py adds them).
//
// usage: go run go_truth.go WORKSPACE_ROOT MODULE_PATH > records.jsonl
//
// The packages are the folders under WORKSPACE_ROOT holding .go files (go.py has copied only the files that
// go/build selects for this platform, without tests). Imports inside the module are type-checked from the workspace;
// the standard library from source (GOROOT).
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var (
	root    string
	module  string
	fset    = token.NewFileSet()
	std     types.Importer
	checked = map[string]*types.Package{}
	infos   = map[string]*types.Info{}
	files   = map[string][]*ast.File{}
	order    []string
	excluded []string
)

type nodeRecord struct {
	Type     string `json:"type"`
	Kind     string `json:"kind"`
	Fqp      string `json:"fqp"`
	External bool   `json:"external"`
}

type edgeRecord struct {
	Type string    `json:"type"`
	Src  [2]string `json:"src"`
	Kind string    `json:"kind"`
	Dst  [2]string `json:"dst"`
}

type fileRecord struct {
	Type string `json:"type"`
	File string `json:"file"`
}

type ref struct{ kind, fqp string }

var (
	nodes = map[ref]bool{} // -> external
	seen  = map[[5]string]bool{}
	elist [][5]string
)

func node(kind, fqp string, external bool) ref {
	r := ref{kind, fqp}
	old, seen := nodes[r]
	if !seen || (old && !external) {
		nodes[r] = external
	}
	return r
}

func edge(src ref, kind string, dst ref) {
	if src.fqp == "" || dst.fqp == "" || (src == dst && kind != "CALLS") {
		return
	}
	key := [5]string{src.kind, src.fqp, kind, dst.kind, dst.fqp}
	if !seen[key] {
		seen[key] = true
		elist = append(elist, key)
	}
}

type imp struct{}

func (imp) Import(path string) (*types.Package, error) { return load(path) }

func load(path string) (*types.Package, error) {
	if p, ok := checked[path]; ok {
		if p == nil {
			return nil, fmt.Errorf("import cycle at %s", path)
		}
		return p, nil
	}
	if path != module && !strings.HasPrefix(path, module+"/") {
		return std.Import(path)
	}
	checked[path] = nil
	dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(path, module), "/")))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var parsed []*ast.File
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		if ok, _ := build.Default.MatchFile(dir, e.Name()); !ok {
			excluded = append(excluded, filepath.Join(dir, e.Name())) // build constraints: not this platform's
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, f)
	}
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{},
		Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: imp{}, Error: func(err error) { fmt.Fprintln(os.Stderr, "type error:", err) }}
	pkg, _ := conf.Check(path, fset, parsed, info)
	checked[path] = pkg
	infos[path] = info
	files[path] = parsed
	order = append(order, path)
	return pkg, nil
}

// ---- naming -------------------------------------------------------------------------------------------------

func local(pkg *types.Package) bool {
	return pkg != nil && (pkg.Path() == module || strings.HasPrefix(pkg.Path(), module+"/"))
}

func typeKind(obj *types.TypeName) string {
	if obj.IsAlias() {
		return "A"
	}
	switch obj.Type().Underlying().(type) {
	case *types.Interface:
		return "T"
	case *types.Struct:
		return "S"
	}
	return "A"
}

// the node a type name stands for, or false for primitives (predeclared basic types, any, unsafe.Pointer)
func typeNode(obj *types.TypeName) (ref, bool) {
	if obj.Pkg() == nil { // universe
		switch obj.Name() {
		case "error", "comparable":
			return node("T", obj.Name(), true), true
		}
		return ref{}, false
	}
	if obj.Pkg().Path() == "unsafe" {
		return ref{}, false
	}
	if tp, ok := obj.Type().(*types.TypeParam); ok {
		return genericNode(tp), true
	}
	fqp := obj.Pkg().Path() + "." + obj.Name()
	return node(typeKind(obj), fqp, !local(obj.Pkg())), true
}

// owners of type parameters, filled while declaring
var tparamOwner = map[*types.TypeName]string{}

func genericNode(tp *types.TypeParam) ref {
	owner := tparamOwner[tp.Obj()]
	if owner == "" {
		return ref{}
	}
	name := tp.Obj().Name()
	if n, ok := tparamName[tp.Obj()]; ok {
		name = n
	}
	return node("G", owner+".<"+name+">", false)
}

func funcNode(fn *types.Func) (ref, bool) {
	if fn.Pkg() == nil || !local(fn.Pkg()) {
		return ref{}, false
	}
	fn = fn.Origin()
	sig := fn.Type().(*types.Signature)
	if recv := sig.Recv(); recv != nil {
		t := recv.Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		named, ok := t.(*types.Named)
		if !ok || named.Obj().Parent() != named.Obj().Pkg().Scope() {
			// not a method of a package-level type (an interface declared inside a function is no node)
			return ref{}, false
		}
		return node("F", fn.Pkg().Path()+"."+named.Origin().Obj().Name()+"."+fn.Name(), false), true
	}
	return node("F", fn.Pkg().Path()+"."+fn.Name(), false), true
}

// ---- type expressions: the named types they mention ------------------------------------------------------------

func mentioned(info *types.Info, expr ast.Expr) []ref {
	var out []ref
	found := map[ref]bool{}
	ast.Inspect(expr, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit, *ast.BasicLit:
			return false
		case *ast.SelectorExpr:
			if obj, ok := info.Uses[x.Sel].(*types.TypeName); ok {
				if r, ok := typeNode(obj); ok && !found[r] {
					found[r] = true
					out = append(out, r)
				}
			}
			return false
		case *ast.Ident:
			if obj, ok := info.Uses[x].(*types.TypeName); ok {
				if r, ok := typeNode(obj); ok && !found[r] {
					found[r] = true
					out = append(out, r)
				}
			}
		}
		return true
	})
	return out
}

// the named type at the head of an embedded field or an instantiation (`*pkg.T[int]` gives pkg.T)
func head(info *types.Info, expr ast.Expr) (ref, bool) {
	for {
		switch x := expr.(type) {
		case *ast.StarExpr:
			expr = x.X
		case *ast.ParenExpr:
			expr = x.X
		case *ast.IndexExpr:
			expr = x.X
		case *ast.IndexListExpr:
			expr = x.X
		case *ast.SelectorExpr:
			if obj, ok := info.Uses[x.Sel].(*types.TypeName); ok {
				return typeNode(obj)
			}
			return ref{}, false
		case *ast.Ident:
			if obj, ok := info.Uses[x].(*types.TypeName); ok {
				return typeNode(obj)
			}
			return ref{}, false
		default:
			return ref{}, false
		}
	}
}

// what a constraint is made of (ISG-SPEC §1 Clarifications, Go): union terms, `~T`'s T, the generic type of an
// instantiation, embedded interfaces; not type arguments nor element types (`~map[K]V`, `~[]E` give none)
func constraintTargets(info *types.Info, expr ast.Expr, out *[]ref) {
	switch x := expr.(type) {
	case *ast.ParenExpr:
		constraintTargets(info, x.X, out)
	case *ast.BinaryExpr: // a | b
		constraintTargets(info, x.X, out)
		constraintTargets(info, x.Y, out)
	case *ast.UnaryExpr: // ~T
		constraintTargets(info, x.X, out)
	case *ast.InterfaceType:
		for _, f := range x.Methods.List {
			if len(f.Names) == 0 {
				constraintTargets(info, f.Type, out)
			}
		}
	case *ast.Ident, *ast.SelectorExpr, *ast.IndexExpr, *ast.IndexListExpr:
		if r, ok := head(info, x); ok {
			*out = append(*out, r)
		}
	}
}

// ---- declarations -----------------------------------------------------------------------------------------------

func declareTypeParams(info *types.Info, owner ref, list *ast.FieldList) {
	if list == nil {
		return
	}
	for _, f := range list.List {
		for _, name := range f.Names {
			if obj, ok := info.Defs[name].(*types.TypeName); ok {
				tparamOwner[obj] = owner.fqp
				node("G", owner.fqp+".<"+name.Name+">", false)
			}
		}
	}
	for _, f := range list.List {
		var targets []ref
		constraintTargets(info, f.Type, &targets)
		for _, name := range f.Names {
			g := ref{"G", owner.fqp + ".<" + name.Name + ">"}
			for _, t := range targets {
				edge(g, "BOUND_BY", t)
			}
		}
	}
}

func signature(info *types.Info, self ref, ft *ast.FuncType) {
	if ft.Params != nil {
		for _, f := range ft.Params.List {
			for _, t := range mentioned(info, f.Type) {
				edge(self, "ACCEPTS", t)
			}
		}
	}
	if ft.Results != nil {
		for _, f := range ft.Results.List {
			for _, t := range mentioned(info, f.Type) {
				edge(self, "RETURNS", t)
			}
		}
	}
}

type named struct {
	obj  *types.TypeName
	node ref
}

var allTypes []named

func declare(path string) {
	pkg := checked[path]
	info := infos[path]
	mod := node("M", path, false)
	if cut := strings.LastIndex(path, "/"); cut > 0 {
		parent := path[:cut]
		if _, ok := checked[parent]; ok {
			edge(node("M", parent, false), "CONTAINS", mod)
		}
	}
	_ = pkg
	// types first (methods name their receiver type; receiver type parameters are the type's)
	for _, f := range files[path] {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				obj, ok := info.Defs[ts.Name].(*types.TypeName)
				if !ok {
					continue
				}
				self := node(typeKind(obj), path+"."+ts.Name.Name, false)
				edge(mod, "CONTAINS", self)
				allTypes = append(allTypes, named{obj, self})
				declareTypeParams(info, self, ts.TypeParams)
				switch t := ts.Type.(type) {
				case *ast.StructType:
					for _, field := range t.Fields.List {
						if len(field.Names) == 0 {
							if h, ok := head(info, field.Type); ok {
								edge(self, "EXTENDS", h)
							}
							continue
						}
						for _, u := range mentioned(info, field.Type) {
							edge(self, "USES", u)
						}
					}
				case *ast.InterfaceType:
					if ts.Assign.IsValid() { // `type A = interface{...}`: an alias; its definition's types
						for _, u := range mentioned(info, t) {
							edge(self, "USES", u)
						}
						continue
					}
					for _, m := range t.Methods.List {
						if len(m.Names) == 0 {
							switch m.Type.(type) {
							case *ast.Ident, *ast.SelectorExpr, *ast.IndexExpr, *ast.IndexListExpr:
								if h, ok := head(info, m.Type); ok {
									edge(self, "EXTENDS", h)
								}
							}
							continue
						}
						for _, name := range m.Names {
							fn := node("F", self.fqp+"."+name.Name, false)
							edge(self, "DEFINES", fn)
							signature(info, fn, m.Type.(*ast.FuncType))
						}
					}
				default: // other defined types and aliases: USES of their definition
					for _, u := range mentioned(info, ts.Type) {
						edge(self, "USES", u)
					}
				}
			}
		}
	}
	for _, f := range files[path] {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			obj, ok := info.Defs[fd.Name].(*types.Func)
			if !ok {
				continue
			}
			if fd.Recv == nil && fd.Name.Name == "init" {
				continue // init functions cannot be named or called: not items
			}
			self, ok := funcNode(obj)
			if !ok {
				continue
			}
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				if h, ok := head(info, fd.Recv.List[0].Type); ok {
					edge(h, "CONTAINS", self)
				}
				// receiver type parameters (`func (s Stream[T]) Next() T`) are the type's G nodes
				recvType := fd.Recv.List[0].Type
				if s, ok := recvType.(*ast.StarExpr); ok {
					recvType = s.X
				}
				var params []ast.Expr
				switch x := recvType.(type) {
				case *ast.IndexExpr:
					params = []ast.Expr{x.Index}
				case *ast.IndexListExpr:
					params = x.Indices
				}
				typeFqp := self.fqp[:strings.LastIndex(self.fqp, ".")]
				for i, p := range params {
					if id, ok := p.(*ast.Ident); ok {
						if tn, ok := info.Defs[id].(*types.TypeName); ok {
							// the name used in the method may differ from the type's: the type's parameter i
							base, _ := info.Uses[headIdent(recvType)].(*types.TypeName)
							name := id.Name
							if base != nil {
								if n, ok := base.Type().(*types.Named); ok && n.TypeParams().Len() > i {
									name = n.TypeParams().At(i).Obj().Name()
								}
							}
							tparamOwner[tn] = typeFqp
							tparamName[tn] = name
						}
					}
				}
			} else {
				edge(mod, "CONTAINS", self)
				declareTypeParams(info, self, fd.Type.TypeParams)
			}
			signature(info, self, fd.Type)
			if fd.Body != nil {
				calls(info, self, fd.Body)
			}
		}
	}
}

var tparamName = map[*types.TypeName]string{}

func headIdent(expr ast.Expr) *ast.Ident {
	for {
		switch x := expr.(type) {
		case *ast.IndexExpr:
			expr = x.X
		case *ast.IndexListExpr:
			expr = x.X
		case *ast.Ident:
			return x
		default:
			return nil
		}
	}
}

func calls(info *types.Info, self ref, body *ast.BlockStmt) {
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fun := call.Fun
		for {
			switch x := fun.(type) {
			case *ast.ParenExpr:
				fun = x.X
				continue
			case *ast.IndexExpr: // F[T](x): a call of F when F is a function
				fun = x.X
				continue
			case *ast.IndexListExpr:
				fun = x.X
				continue
			}
			break
		}
		var id *ast.Ident
		switch x := fun.(type) {
		case *ast.Ident:
			id = x
		case *ast.SelectorExpr:
			id = x.Sel
		}
		if id == nil {
			return true
		}
		fn, ok := info.Uses[id].(*types.Func)
		if !ok {
			return true
		}
		if target, ok := methodOrFunc(fn); ok {
			edge(self, "CALLS", target)
		}
		return true
	})
}

// a called function: a workspace function or method, or an interface method (`pkg.Iface.Method`)
func methodOrFunc(fn *types.Func) (ref, bool) {
	if fn.Pkg() == nil || !local(fn.Pkg()) {
		return ref{}, false
	}
	if r, ok := funcNode(fn); ok {
		return r, true
	}
	// an interface method: find the declared interface that holds it
	for _, t := range allTypes {
		iface, ok := t.obj.Type().Underlying().(*types.Interface)
		if !ok {
			continue
		}
		for i := 0; i < iface.NumExplicitMethods(); i++ {
			if iface.ExplicitMethod(i) == fn.Origin() || iface.ExplicitMethod(i) == fn {
				return node("F", t.node.fqp+"."+fn.Name(), false), true
			}
		}
	}
	return ref{}, false
}

// structural IMPL: a workspace type (not an interface, not generic) or a pointer to it implements a workspace
// interface with methods (not a type set, not generic), or `error` / `fmt.Stringer`
func impls() {
	type target struct {
		iface *types.Interface
		node  ref
	}
	var targets []target
	for _, t := range allTypes {
		iface, ok := t.obj.Type().Underlying().(*types.Interface)
		if !ok || t.obj.IsAlias() || iface.NumMethods() == 0 || !iface.IsMethodSet() {
			continue
		}
		if n, ok := t.obj.Type().(*types.Named); ok && n.TypeParams().Len() > 0 {
			continue
		}
		targets = append(targets, target{iface, t.node})
	}
	errType := types.Universe.Lookup("error").Type().Underlying().(*types.Interface)
	targets = append(targets, target{errType, node("T", "error", true)})
	if fmtPkg, err := std.Import("fmt"); err == nil {
		if s := fmtPkg.Scope().Lookup("Stringer"); s != nil {
			targets = append(targets, target{s.Type().Underlying().(*types.Interface), node("T", "fmt.Stringer", true)})
		}
	}
	for _, t := range allTypes {
		if _, ok := t.obj.Type().Underlying().(*types.Interface); ok || t.obj.IsAlias() {
			continue
		}
		n, ok := t.obj.Type().(*types.Named)
		if !ok || n.TypeParams().Len() > 0 {
			continue
		}
		for _, target := range targets {
			if types.Implements(n, target.iface) || types.Implements(types.NewPointer(n), target.iface) {
				edge(t.node, "IMPL", target.node)
			}
		}
	}
}

func main() {
	root, _ = filepath.Abs(os.Args[1])
	module = os.Args[2]
	std = importer.ForCompiler(fset, "source", nil)
	var dirs []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			dirs = append(dirs, filepath.Dir(p))
		}
		return nil
	})
	sort.Strings(dirs)
	for i, d := range dirs {
		if i > 0 && dirs[i-1] == d {
			continue
		}
		rel, _ := filepath.Rel(root, d)
		path := module
		if rel != "." {
			path = module + "/" + filepath.ToSlash(rel)
		}
		if _, err := load(path); err != nil {
			fmt.Fprintln(os.Stderr, "load:", path, err)
		}
	}
	sort.Strings(order)
	for _, path := range order {
		declare(path)
	}
	impls()
	out := json.NewEncoder(os.Stdout)
	var keys []ref
	for r := range nodes {
		keys = append(keys, r)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].fqp+keys[i].kind < keys[j].fqp+keys[j].kind })
	for _, r := range keys {
		out.Encode(nodeRecord{Type: "node", Kind: r.kind, Fqp: r.fqp, External: nodes[r]})
	}
	for _, e := range elist {
		out.Encode(edgeRecord{Type: "edge", Src: [2]string{e[0], e[1]}, Kind: e[2], Dst: [2]string{e[3], e[4]}})
	}
	for _, f := range excluded {
		rel, _ := filepath.Rel(root, f)
		out.Encode(fileRecord{Type: "excluded", File: filepath.ToSlash(rel)})
	}
}
