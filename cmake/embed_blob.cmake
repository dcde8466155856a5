# cmake -DIN=blob -DOUT=file.c -DSYM=name -P embed_blob.cmake
# Writes a C file defining `const unsigned char SYM[]` and `SYM_len` from a
# binary file, so a model blob is compiled into the library.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" body "${body}")
file(WRITE "${OUT}.tmp" "/* Generated from ${IN}; do not edit. */\n#include <stddef.h>\n"
  "extern const unsigned char ${SYM}[];\nextern const size_t ${SYM}_len;\n"
  "const unsigned char ${SYM}[] = {\n${body}\n};\nconst size_t ${SYM}_len = ${bytes};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
