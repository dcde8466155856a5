#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then build a program against the
# installed library with pkg-config (shared and static) and run it.
. "$(dirname "$0")/lib.sh"
: "${AIM_BUILD:?}"
T=$AIM_TMP
cmake --install "$AIM_BUILD" --prefix "$T/prefix" >/dev/null
for f in include/aimark/aimark.h include/aimark/label.h include/aimark/meta.h bin/aimark; do
  [ -e "$T/prefix/$f" ] && ok "installed $f" || bad "missing $f"
done
pc=$(find "$T/prefix" -name aimark.pc | head -1)
[ -n "$pc" ] && ok "aimark.pc installed" || bad "aimark.pc missing"
export PKG_CONFIG_PATH=$(dirname "$pc")
expect_eq "pkg-config version" "$(pkg-config --modversion aimark)" "$("$AIMARK" version | cut -d' ' -f2)"
cat > "$T/use.c" <<'C'
#include <aimark/aimark.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "P1");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, "X");
    aim_diag d;
    int rc = aim_meta_write_file(argv[1], argv[2], l, NULL, &d);
    if (rc) { fprintf(stderr, "write: %s %s\n", aim_strerror(rc), d.message); return 1; }
    aim_meta *m;
    rc = aim_meta_read_file(argv[2], &m, &d);
    if (rc) return 1;
    printf("%s %s %s\n", aim_format_name(aim_meta_format(m)),
           aim_class_name(aim_label_class(aim_meta_label(m))), aim_meta_location(m));
    aim_meta_free(m);
    aim_label_free(l);
    (void)argc;
    return 0;
}
C
"${AIM_CC:-cc}" ${AIM_CFLAGS:-} -std=c11 -Wall -Werror "$T/use.c" -o "$T/use-shared" $(pkg-config --cflags --libs aimark)
expect_eq "shared build runs" "$(LD_LIBRARY_PATH=$(dirname "$(find "$T/prefix" -name 'libaimark.so' | head -1)") "$T/use-shared" "$AIM_SAMPLES/speech.wav" "$T/a.wav")" "wav confirmed riff:AIGC"
"${AIM_CC:-cc}" ${AIM_CFLAGS:-} -std=c11 -Wall -Werror "$T/use.c" -o "$T/use-static" $(pkg-config --cflags aimark) \
   "$(find "$T/prefix" -name 'libaimark.a' | head -1)" $(pkg-config --libs-only-l --static aimark | sed 's/-laimark//')
expect_eq "static build runs" "$("$T/use-static" "$AIM_SAMPLES/speech.wav" "$T/b.wav")" "wav confirmed riff:AIGC"
finish
