package ollama

import "strings"

// prefixes holds the task prefixes that some embedding models were trained
// with, keyed by base model name. Models not listed get no prefix.
var prefixes = map[string]struct{ query, document string }{
	"nomic-embed-text":       {query: "search_query: ", document: "search_document: "},
	"mxbai-embed-large":      {query: "Represent this sentence for searching relevant passages: "},
	"snowflake-arctic-embed": {query: "Represent this sentence for searching relevant passages: "},
}

// Prefixes returns the strings that Embed puts in front of queries and of
// documents for model, looked up by the model's base name: registry,
// namespace and tag are ignored, so "nomic-embed-text:latest" and
// "registry.ollama.ai/library/nomic-embed-text" both give nomic-embed-text's
// "search_query: " and "search_document: ". Models it does not know
// (all-minilm, bge-m3, …) get two empty strings.
func Prefixes(model string) (query, document string) {
	p := prefixes[baseName(model)]
	return p.query, p.document
}

// baseName strips the registry, namespace and tag from an Ollama model name
// and lower-cases it: "registry.ollama.ai/library/Nomic-Embed-Text:v1.5"
// becomes "nomic-embed-text".
func baseName(model string) string {
	name := strings.TrimSpace(model)
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name, _, _ = strings.Cut(name, ":")
	return strings.ToLower(name)
}
