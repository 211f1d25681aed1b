#!/bin/bash
# Every source a built-in kind links against is in its code version
# (docs/hashing.md).  cmake/kind_sources.c derives each kind's files from
# the text; this checks them another way, from the built objects: the
# link-level closure of the kind's object in the static libraries given
# (nm: from the object defining kind_NAME, every object defining a symbol
# it references, transitively, never into another kind's object: the
# registry, kinds.c, references them all).  Each object reached must have
# its source among the files `cairn kinds -v` lists for the kind.  Then,
# so that the test is known to fail when it should, the check is run
# again with one reached file dropped from a list, and must fail.  And
# each version printed is recomputed from its files as docs/hashing.md
# encodes it.
# usage: kind_sources.sh CAIRN NM SRC LIB=DIR...   (DIR: where the
# library's sources are, relative to the source tree SRC)
CAIRN=$1
NM=$2
SRC=$3
shift 3
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-kinds.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# "def SRC SYMBOL" and "ref SRC SYMBOL" for the global symbols of every
# object; SRC is DIR/name for the object name.o.
for arg in "$@"; do
	lib=${arg%%=*} dir=${arg#*=}
	"$NM" -A -g "$lib" >"$T/nm" || { echo "FAIL: $NM -A -g $lib"; exit 1; }
	awk -v lib="$lib" -v dir="$dir" '
		index($0, lib ":") == 1 {
			rest = substr($0, length(lib) + 2)
			obj = substr(rest, 1, index(rest, ":") - 1)
			sub(/\.o$/, "", obj)
			type = $(NF - 1)
			if (type ~ /^[A-TV-Zui]$/)
				print "def", dir "/" obj, $NF
			else if (type ~ /^[Uwv]$/)
				print "ref", dir "/" obj, $NF
		}' "$T/nm" >>"$T/symbols"
done
[ -s "$T/symbols" ] || { echo "FAIL: no symbols in $*"; exit 1; }

# "kind NAME" and "src PATH" from cairn kinds -v.
"$CAIRN" kinds -v >"$T/kinds" || { echo "FAIL: cairn kinds -v"; exit 1; }
awk '/^[a-z]/ && $1 != "cairn" { print "kind", $1 }
     $1 == "source" { print "src", $2 }' "$T/kinds" >"$T/lists"

# check LISTS: the closure of each kind against its list; prints "reach
# KIND SRC" for each object reached, "FAIL: ..." for each not covered.
check() {
	awk '
	FILENAME == ARGV[1] {
		if ($1 == "def") {
			ndef[$3]++
			def[$3, ndef[$3]] = $2
		} else {
			nref[$2]++
			ref[$2, nref[$2]] = $3
		}
		next
	}
	$1 == "kind" { k = $2; kinds[++nk] = k; next }
	$1 == "src" { list[k, $2] = 1; nsrc[k]++; next }
	END {
		if (!nk) {
			print "FAIL: no kind listed by cairn kinds -v"
			exit 1
		}
		for (i = 1; i <= nk; i++) {
			k = kinds[i]
			sym = "kind_" k
			gsub(/\./, "_", sym)
			if (ndef[sym] != 1) {
				print "FAIL: kind '\''" k "'\'': " ndef[sym] + 0 \
				      " objects define " sym ", expected 1"
				bad = 1
				continue
			}
			own[k] = def[sym, 1]
			owner[def[sym, 1]] = k
			if (!nsrc[k]) {
				print "FAIL: kind '\''" k "'\'' lists no source"
				bad = 1
			}
		}
		for (i = 1; i <= nk; i++) {
			k = kinds[i]
			if (!(k in own))
				continue
			split("", seen)
			n = 1
			q[1] = own[k]
			seen[own[k]] = 1
			for (h = 1; h <= n; h++)
				for (r = 1; r <= nref[q[h]]; r++) {
					s = ref[q[h], r]
					for (d = 1; d <= ndef[s]; d++) {
						t = def[s, d]
						if ((t in seen) || ((t in owner) && t != own[k]))
							continue
						seen[t] = 1
						q[++n] = t
					}
				}
			for (h = 1; h <= n; h++) {
				print "reach", k, q[h]
				if (!((k, q[h]) in list)) {
					print "FAIL: kind '\''" k "'\'' links " q[h] \
					      ", which its code version does not cover"
					bad = 1
				}
			}
		}
		exit bad
	}' "$T/symbols" "$1"
}

fail=0

# The version: the SHA-256 of "PATH SHA256\n" for each file, in the order
# listed (sorted by path).
awk '/^[a-z]/ && $1 != "cairn" { k = $1 }
     $1 == "version" { print k, "version", $2 }
     $1 == "source" { print k, "source", $2 }' "$T/kinds" >"$T/versions"
for k in $(awk '$2 == "version" { print $1 }' "$T/versions"); do
	want=$(awk -v k="$k" '$1 == k && $2 == "version" { print $3 }' "$T/versions")
	got=$(awk -v k="$k" '$1 == k && $2 == "source" { print $3 }' "$T/versions" |
		while read -r f; do
			h=$(sha256sum <"$SRC/$f") || exit 1
			printf '%s %s\n' "$f" "${h%% *}"
		done | sha256sum)
	if ! awk -v k="$k" '$1 == k && $2 == "source" { print $3 }' \
		"$T/versions" | LC_ALL=C sort -c 2>/dev/null; then
		echo "FAIL: kind '$k': the files are not sorted by path"
		fail=1
	fi
	if [ "${got%% *}" != "$want" ]; then
		echo "FAIL: kind '$k': version $want, but its files hash to ${got%% *}"
		fail=1
	fi
done

check "$T/lists" >"$T/out"
rc=$?
grep '^FAIL' "$T/out"
[ $rc -eq 0 ] || fail=1
nreach=$(grep -c '^reach' "$T/out")
nkinds=$(grep -c '^kind' "$T/lists")

# The case this test was written for: the GPU training kernel, where built.
if grep -q '^def kernels/classifier_cuda.cu ' "$T/symbols" &&
	! grep -q '^reach train.classifier kernels/classifier_cuda.cu$' "$T/out"; then
	echo "FAIL: train.classifier does not reach kernels/classifier_cuda.cu"
	fail=1
fi

# The check must fail without one file it needs: drop the GPU training
# kernel from train.classifier where it is built, else the first kernel
# (else the registry) some kind reaches.
pick=$(awk '$1 == "reach" && $2 == "train.classifier" &&
	$3 == "kernels/classifier_cuda.cu" { print $2, $3; exit }' "$T/out")
[ -n "$pick" ] ||
	pick=$(awk '$1 == "reach" && $3 ~ /^kernels\// { print $2, $3; exit }' "$T/out")
[ -n "$pick" ] ||
	pick=$(awk '$1 == "reach" && $3 ~ /kinds\.c$/ { print $2, $3; exit }' "$T/out")
if [ -z "$pick" ]; then
	echo "FAIL: no file to drop for the self-check"
	fail=1
else
	set -- $pick
	awk -v k="$1" -v f="$2" '$1 == "kind" { cur = $2 }
		!(cur == k && $1 == "src" && $2 == f)' "$T/lists" >"$T/dropped"
	if check "$T/dropped" >"$T/out2"; then
		echo "FAIL: the check passes with '$2' dropped from kind '$1'"
		fail=1
	elif ! grep -q "^FAIL: kind '$1' links $2," "$T/out2"; then
		echo "FAIL: with '$2' dropped from kind '$1', the check said:"
		grep '^FAIL' "$T/out2"
		fail=1
	fi
fi
[ $fail -eq 0 ] && echo "kind sources: $nkinds kinds, $nreach objects" \
	"reached, each in its kind's code version (and '$2' dropped from" \
	"'$1' is caught)"
exit $fail
