package config

import (
	"fmt"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Limits on a stack file, checked before it is decoded: a stack file is a
// few kilobytes of plain mappings, and a decoder expands aliases and
// recurses into nesting, so a small hostile file could otherwise exhaust
// memory or time before validation says a word.
const (
	maxStackFileBytes = 1 << 20 // 1 MiB
	maxNesting        = 32      // mappings and sequences inside each other
	// maxExpandedNodes bounds the values the decoder would build, aliases
	// expanded: a large real stack file holds a few thousand.
	maxExpandedNodes = 100_000
)

// parseLimited parses a stack file into its syntax tree, refusing with the
// line what the decoder should never see: an oversized file, deep nesting,
// and aliases that expand beyond reason (`*name` and `<<` copy their
// anchor's value; nested ones multiply, the "billion laughs"). It walks
// the tree once, expanding nothing; the caller decodes from the same tree,
// so the file is parsed once.
func parseLimited(data []byte) (*ast.File, []Problem) {
	if len(data) > maxStackFileBytes {
		return nil, []Problem{{Path: "config", Message: fmt.Sprintf("the stack file is %d bytes; a stack file is at most %d", len(data), maxStackFileBytes)}}
	}
	if depth, line := flowNesting(data); depth > maxNesting {
		return nil, []Problem{{Path: "config", Message: fmt.Sprintf("line %d: nested %d levels deep; at most %d", line, depth, maxNesting)}}
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, []Problem{{Path: "config", Message: "not a valid stack file: " + yaml.FormatError(err, false, false)}}
	}
	z := &sizer{anchors: map[string]int{}}
	for _, doc := range f.Docs {
		z.size(doc, 0)
		if z.problem != nil {
			return nil, []Problem{*z.problem}
		}
	}
	return f, nil
}

// flowNesting is the deepest run of open brackets ([ and {) outside quotes
// and comments, and its line: checked on the bytes, before a parser
// recurses into it.
func flowNesting(data []byte) (depth, line int) {
	cur, ln := 0, 1
	var quote byte
	comment := false
	for _, c := range data {
		switch {
		case c == '\n':
			ln++
			comment = false
			if quote == '\'' || quote == '"' {
				continue // a quoted scalar may span lines
			}
		case comment:
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#':
			comment = true
		case c == '[' || c == '{':
			cur++
			if cur > depth {
				depth, line = cur, ln
			}
		case c == ']' || c == '}':
			if cur > 0 {
				cur--
			}
		}
	}
	return depth, line
}

// sizer measures the tree as the decoder would build it, aliases
// expanded, without expanding them: an alias counts the size of its
// anchor's value, known once the anchor is read (YAML defines an anchor
// before its aliases). Linear in the file's size.
type sizer struct {
	anchors map[string]int
	aliased bool // an alias was counted
	problem *Problem
}

func (z *sizer) size(n ast.Node, depth int) int {
	if isNil(n) || z.problem != nil {
		return 0
	}
	line := lineOf(n)
	if depth > maxNesting {
		z.problem = &Problem{Path: "config", Message: fmt.Sprintf("line %d: nested more than %d levels deep; at most %d", line, maxNesting, maxNesting)}
		return 0
	}
	total := 1
	add := func(k int) {
		total += k
		if total > maxExpandedNodes && z.problem == nil {
			msg := fmt.Sprintf("line %d: the stack file holds more than %d keys and values; a stack file holds a few thousand", line, maxExpandedNodes)
			if z.aliased {
				msg = fmt.Sprintf("line %d: with its aliases expanded the stack file would hold more than %d values: write it without nested aliases", line, maxExpandedNodes)
			}
			z.problem = &Problem{Path: "config", Message: msg}
		}
	}
	switch t := n.(type) {
	case *ast.DocumentNode:
		add(z.size(t.Body, depth))
	case *ast.MappingNode:
		for _, v := range t.Values {
			add(z.size(v, depth+1))
		}
	case *ast.MappingValueNode:
		add(z.size(t.Key, depth))
		add(z.size(t.Value, depth))
	case *ast.MappingKeyNode:
		add(z.size(t.Value, depth))
	case *ast.SequenceNode:
		for _, v := range t.Values {
			add(z.size(v, depth+1))
		}
	case *ast.TagNode:
		add(z.size(t.Value, depth))
	case *ast.AnchorNode:
		k := z.size(t.Value, depth)
		if t.Name != nil {
			z.anchors[t.Name.String()] = k
		}
		add(k)
	case *ast.AliasNode:
		if t.Value != nil {
			z.aliased = true
			add(z.anchors[t.Value.String()])
		}
	}
	if total > maxExpandedNodes {
		return maxExpandedNodes + 1 // saturate: no overflow however deep the bomb
	}
	return total
}

// isNil reports a nil node, also a typed nil inside the interface (the
// parser leaves them, e.g. the document of an empty file).
func isNil(n ast.Node) bool {
	if n == nil {
		return true
	}
	v := reflect.ValueOf(n)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// lineOf is the line a node starts on, 0 when the node has no token.
func lineOf(n ast.Node) (line int) {
	defer func() {
		if recover() != nil {
			line = 0 // a node without a token panics in some GetToken methods
		}
	}()
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}
