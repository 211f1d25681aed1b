#!/bin/bash
# Modes of outputs through cairn run: a 0600 file, a 0755 script and a
# 0700 folder holding both kinds come back from the store as they were
# made (umask 022), and owner-only ones stay owner-only under umask 0.
# usage: modes.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

cat >cairn.toml <<'TOML'
[stage.make]
cmd = "printf s > ${outs.key}; chmod 600 ${outs.key}; printf '#!/bin/sh\\necho hi\\n' > ${outs.tool}; chmod 755 ${outs.tool}; mkdir -p ${outs.dir}/private; printf k > ${outs.dir}/key; chmod 600 ${outs.dir}/key; printf '#!/bin/sh\\n' > ${outs.dir}/run.sh; chmod 755 ${outs.dir}/run.sh; printf p > ${outs.dir}/pub; chmod 644 ${outs.dir}/pub; chmod 700 ${outs.dir}/private ${outs.dir}"
outs = { key = "secret.key", tool = "tool.sh", dir = "folder" }
TOML
modes() {
	stat -c '%a %n' secret.key tool.sh folder folder/key folder/run.sh \
		folder/pub folder/private
}
made="600 secret.key
755 tool.sh
700 folder
600 folder/key
755 folder/run.sh
644 folder/pub
700 folder/private"

umask 022
run run
expect_rc made 0
expect_eq made "$(modes)" "$made"

rm -rf secret.key tool.sh folder
run run
expect_rc restored 0
expect_match restored "$out" '^done: 0 ran, 1 restored, 0 up to date, 0 failed$'
expect_eq restored-modes "$(modes)" "$made"
expect_eq restored-runs "$(./tool.sh)" "hi"

# A umask of 0 widens what was not owner-only, nothing else.
rm -rf secret.key tool.sh folder
umask 0
run run
umask 022
expect_match restored-umask0 "$out" '^done: 0 ran, 1 restored'
expect_eq restored-umask0-modes "$(modes)" "600 secret.key
777 tool.sh
700 folder
600 folder/key
777 folder/run.sh
666 folder/pub
700 folder/private"

finish
