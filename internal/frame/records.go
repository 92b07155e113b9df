package frame

// Records returns the first n rows (all when n < 0) as JSON-ready maps, as
// a client would send them to the gateway: floats as numbers, strings and
// times as text, nulls left out.
func (f *Frame) Records(n int) []map[string]any {
	if n < 0 || n > f.rows {
		n = f.rows
	}
	out := make([]map[string]any, n)
	for i := range out {
		row := make(map[string]any, len(f.cols))
		for _, c := range f.cols {
			switch {
			case c.Null[i]:
			case c.Kind == Float:
				row[c.Name] = c.Floats[i]
			default:
				row[c.Name] = c.Format(i)
			}
		}
		out[i] = row
	}
	return out
}
