#!/bin/bash
# HDF5 outputs are identified by their content (docs/hashing.md): the
# same data written another way (chunked, compressed, timestamps, another
# creation order) keeps its id, so what reads it stays up to date; other
# data changes it.  hash = { OUT = "bytes" } opts out.  The bytes are
# stored and come back under the content id (an alias); fsck and gc know
# aliases.
# usage: hdf5.sh CAIRN H5WRITE
CAIRN=$1
H5W=$2
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

cat >cairn.toml <<TOML
[params]
form = "plain"
value = 0

[stage.make]
cmd = "$H5W \${outs.data} \${params.form} \${params.value}"
outs = { data = "data.h5" }

[stage.use]
cmd = "echo read \${deps.data} > \${outs.sum}"
deps = { data = "\${stage.make.outs.data}" }
outs = { sum = "sum.txt" }

[stage.raw]
cmd = "$H5W \${outs.data} \${params.form} 0"
outs = { data = "raw.h5" }
hash = { data = "bytes" }

[stage.use_raw]
cmd = "wc -c < \${deps.data} > \${outs.n}"
deps = { data = "\${stage.raw.outs.data}" }
outs = { n = "n.txt" }
TOML
run run
expect_rc first 0
expect_match first "$out" '^done: 4 ran, 0 restored, 0 up to date, 0 failed$'
plain=$(sha256sum <data.h5)
id=$(sed -n '/^\[stage\."make"\.outputs\]/,/^$/p' cairn.lock | sed -n 's/^"data\.h5" = "\([0-9a-f]*\)"$/\1/p')
expect_match lock-id "$id" '^[0-9a-f]{64}$'
checks=$((checks + 1))
[ "$id" != "$(sha256sum <data.h5 | cut -c1-64)" ] || fail content-id "the lock holds the bytes' digest"
# Chunked and compressed, timestamps on, another order: new bytes, the
# same content: 'make' and 'raw' rerun (their command changed), 'use'
# is up to date, 'use_raw' (bytes) reruns.
run run -p form=chunked
expect_rc chunked 0
expect_match chunked "$out" '^done: 3 ran, 0 restored, 1 up to date, 0 failed$'
checks=$((checks + 1))
[ "$plain" != "$(sha256sum <data.h5)" ] || fail chunked-bytes "h5write made the same bytes"
run run -p form=order
expect_match order "$out" '^done: 3 ran, 0 restored, 1 up to date, 0 failed$'
run explain use
expect_match explain-use "$out" 'up to date'
# Other data: the id changes and 'use' reruns.
run run -p value=1
expect_match value "$out" '^done: 2 ran, 2 restored, 0 up to date, 0 failed$'
# The digest's kind is part of the key: explain names it.
cp cairn.toml keep.toml
sed -i 's/^outs = { data = "data.h5" }$/&\nhash = { data = "bytes" }/' cairn.toml
run explain make
expect_match explain-key "$out" '^    output data digest: removed$'
mv keep.toml cairn.toml
# The content id reaches the stored bytes: show, cat, restore.
run -q run
id=$(sed -n '/^\[stage\."make"\.outputs\]/,/^$/p' cairn.lock | sed -n 's/^"data\.h5" = "\([0-9a-f]*\)"$/\1/p')
run show "$id"
expect_rc show 0
"$CAIRN" cat "$id" >cat.h5
checks=$((checks + 1))
cmp -s cat.h5 data.h5 || fail cat "cat of the content id is not the file's bytes"
rm data.h5
run run
expect_match restore "$out" '^done: 0 ran, 1 restored, 3 up to date, 0 failed$'
checks=$((checks + 1))
cmp -s cat.h5 data.h5 || fail restore "restored bytes differ"
run fsck
expect_rc fsck 0
run gc
expect_rc gc 0
run cat "$id"
expect_rc cat-after-gc 0
# verify compares content: 'make' reproduces (its writer stamps the
# group with the time, so its bytes may not).
run verify
expect_match verify-make "$out" '^reproducible +make$'
expect_match verify-use "$out" '^reproducible +use$'
# A value that is not HDF5 in a .h5 file is digested by its bytes.
cat >text.toml <<'TOML'
[stage.t]
cmd = "echo not hdf5 > ${outs.o}"
outs = { o = "t.h5" }
TOML
run run text.toml
expect_rc text 0
expect_match text-id "$(cat text.lock)" "\"t\\.h5\" = \"$(sha256sum <t.h5 | cut -c1-64)\""
# The table is checked.
cat >bad.toml <<'TOML'
[stage.t]
cmd = "true"
outs = { o = "t.h5" }
hash = { out = "bytes" }
TOML
run graph bad.toml
expect_rc bad-name 2
expect_eq bad-name "$err" "cairn: error: bad.toml:4:10: 'hash' names 'out', which is not an output of this stage
 4 | hash = { out = \"bytes\" }
   |          ^"
sed -i 's/hash = { out = "bytes" }/hash = { o = "md5" }/' bad.toml
run graph bad.toml
expect_rc bad-value 2
expect_match bad-value "$err" "bad\\.toml:4:14: the hash of output 'o' is \"hdf5\" or \"bytes\""
finish
