package screening

// jaroWinkler is the Jaro-Winkler similarity of a and b in 0..1: the Jaro
// similarity (characters in common within a window, and how many of them are
// out of order), raised for a common prefix of up to four characters when
// the Jaro similarity is already above 0.7. Names are folded to upper-case
// ASCII before they get here, so it compares bytes; other scripts compare
// by byte too, which only lowers their similarity.
func jaroWinkler(a, b string) float64 {
	j := jaro(a, b)
	if j <= 0.7 {
		return j
	}
	prefix := 0
	for prefix < 4 && prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	return j + float64(prefix)*0.1*(1-j)
}

// maxJaroLen bounds the words compared with the stack buffers below; longer
// words are cut, which only matters past 64 characters.
const maxJaroLen = 64

func jaro(a, b string) float64 {
	if a == b {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > maxJaroLen {
		a = a[:maxJaroLen]
	}
	if len(b) > maxJaroLen {
		b = b[:maxJaroLen]
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	window := len(b)/2 - 1
	if window < 0 {
		window = 0
	}
	var aMatched, bMatched [maxJaroLen]bool
	matches := 0
	for i := 0; i < len(a); i++ {
		lo, hi := i-window, i+window+1
		if lo < 0 {
			lo = 0
		}
		if hi > len(b) {
			hi = len(b)
		}
		for k := lo; k < hi; k++ {
			if !bMatched[k] && a[i] == b[k] {
				aMatched[i], bMatched[k] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions := 0
	k := 0
	for i := 0; i < len(a); i++ {
		if !aMatched[i] {
			continue
		}
		for !bMatched[k] {
			k++
		}
		if a[i] != b[k] {
			transpositions++
		}
		k++
	}
	m := float64(matches)
	return (m/float64(len(a)) + m/float64(len(b)) + (m-float64(transpositions/2))/m) / 3
}
