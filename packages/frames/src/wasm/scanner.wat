;; The scan of one JSON frame: the hot path of the `fast` decoder.
;;
;; JavaScript copies the frame into this module's memory (one memcpy, no
;; string), checks its UTF-8 (natively), and calls `decode`, which checks the
;; frame's structure and the root object's grammar, finds the values of the
;; root `uid` and `ts` keys, and, for the common frame (a uid without escapes,
;; a ts of plain digits), hashes the uid and reads the ts too. For any other
;; frame it hands back the two value ranges and JavaScript applies the rules
;; (src/root-values.ts), so that the rules live in one place.
;;
;; Two stages, after simdjson (Langdale and Lemire, "Parsing gigabytes of JSON
;; per second", 2019):
;;
;; 1. `$classify` reads the frame 64 bytes per step (four 16-byte vectors)
;;    and turns each step into 64-bit masks, one bit per byte: quotes,
;;    backslashes, and brackets together with bytes JSON never allows outside
;;    a string (one 16-entry table lookup per nibble classifies all bytes).
;;    Quotes escaped by an odd run of backslashes are removed with simdjson's
;;    carry-propagating subtraction; a prefix XOR of the remaining quotes
;;    gives the bytes inside strings, with no branch per string. It keeps,
;;    per step, the mask of quotes that close a string, and lists the
;;    addresses of the brackets (and refused bytes) outside strings.
;;    `$nest` then walks only that list (~1 entry per 40 bytes of a real
;;    frame), without a branch on the kind of bracket, to check that they
;;    balance and match and to list the closers that end the root's nested
;;    values.
;; 2. `$scan` follows the root object's grammar byte by byte between its
;;    members, as the JavaScript scanner does, but jumps over every string
;;    and nested value: a string's end is the next closing-quote bit (one or
;;    two mask loads), a nested value's end the next entry of $nest's list.
;;    So it never reads inside strings or nested values.
;;
;; Why: a real frame is ~90% string content in 60-100 strings and 20-50
;; brackets, and the previous scanner found each string's end with its own
;; 16-byte search and walked nested values byte by byte: its cost was per
;; string and per byte between strings. Here stage 1 costs the same for
;; every 64 bytes, whatever they hold, and stage 2 is per member of the root.
;;
;; What it validates, the same as the JavaScript scanner (src/scanner.ts):
;; that every string ends; the root object's grammar, including its scalar
;; values (numbers, true, false, null); the balance and bracket types of nested
;; values; that only bytes JSON allows appear outside strings. It skips, for
;; speed: escapes and raw control characters inside strings, and the order of
;; commas, colons and scalars inside nested values. The escapes of uid and ts
;; are JavaScript's to decode. A frame that ends before its root object closes
;; is always TRUNCATED: it ends inside a string or with brackets open, and
;; stage 2 then runs out of closing quotes, closers or bytes.
;;
;; Memory: the fixed area below, then the frame, then at least BLOCK_BYTES of
;; slack (the last step's loads run past the frame's end; the bytes there are
;; stale and masked off), then the scratch, which JavaScript places and sizes
;; (src/wasm-scanner.ts): the nesting stack (one byte per open bracket, so the
;; frame's length always suffices), the closing-quote masks (8 bytes per 64),
;; and the lists (one i32 per listed byte at most).
;;
;; Named constants are immutable globals; scripts/build-wasm.mjs replaces
;; each use with the constant before compiling (V8 does not fold them).

(module
  (memory (export "memory") 1)

  ;; ---- layout of the fixed area
  ;; Four i32s: uid value start, uid value end, ts value start, ts value end,
  ;; as offsets into the frame (a string value's range includes its quotes);
  ;; -1 when the frame has no such root key. Then h1, h2 and the ts
  ;; (HASH_HI_AT, HASH_LO_AT, TS_AT, below).
  (global $RESULTS i32 (i32.const 0))
  (global $FRAME_BASE i32 (i32.const 512))
  (export "RESULTS" (global $RESULTS))
  (export "FRAME_BASE" (global $FRAME_BASE))

  ;; The three literals, back to back: true at +0, false at +4, null at +9.
  (data (i32.const 32) "truefalsenull")
  (global $TRUE_AT i32 (i32.const 32))
  (global $FALSE_AT i32 (i32.const 36))
  (global $NULL_AT i32 (i32.const 41))
  (global $TRUE_BYTES i32 (i32.const 4))
  (global $FALSE_BYTES i32 (i32.const 5))
  (global $NULL_BYTES i32 (i32.const 4))
  ;; `true`, `null` and `fals` as little-endian i32s, for one-load compares.
  (global $PACKED_TRUE i32 (i32.const 0x65757274))
  (global $PACKED_NULL i32 (i32.const 0x6c6c756e))
  (global $PACKED_FALS i32 (i32.const 0x736c6166))

  ;; ---- results of the position functions, and of `$scan`
  ;; Positions are never negative, so failures are.
  (global $OK i32 (i32.const 0))
  (global $TRUNCATED i32 (i32.const -1))
  (global $INVALID i32 (i32.const -2))
  (global $ABSENT i32 (i32.const -1))

  ;; ---- what a root key is
  (global $KEY_OTHER i32 (i32.const 0))
  (global $KEY_UID i32 (i32.const 1))
  (global $KEY_TS i32 (i32.const 2))
  ;; `uid` and `ts` as little-endian packed bytes, for escaped spellings.
  (global $PACKED_UID i32 (i32.const 0x646975))
  (global $PACKED_TS i32 (i32.const 0x7374))
  ;; `\uXXXX`: backslash, `u`, four hex digits.
  (global $UNICODE_ESCAPE_BYTES i32 (i32.const 6))
  ;; The shortest escaped spelling of a key that matters is `ts` with one
  ;; letter escaped, the longest `uid` with all three.
  (global $MIN_ESCAPED_KEY_BYTES i32 (i32.const 7))
  (global $MAX_ESCAPED_KEY_BYTES i32 (i32.const 18))
  (global $ASCII_LIMIT i32 (i32.const 0x80))
  (global $BITS_PER_BYTE i32 (i32.const 8))
  (global $BITS_PER_NIBBLE i32 (i32.const 4))

  ;; ---- bytes
  (global $TAB i32 (i32.const 0x09))
  (global $LF i32 (i32.const 0x0a))
  (global $CR i32 (i32.const 0x0d))
  (global $SPACE i32 (i32.const 0x20))
  (global $QUOTE i32 (i32.const 0x22))
  (global $PLUS i32 (i32.const 0x2b))
  (global $COMMA i32 (i32.const 0x2c))
  (global $MINUS i32 (i32.const 0x2d))
  (global $DOT i32 (i32.const 0x2e))
  (global $DIGIT_0 i32 (i32.const 0x30))
  (global $DIGIT_1 i32 (i32.const 0x31))
  (global $COLON i32 (i32.const 0x3a))
  (global $OPEN_BRACKET i32 (i32.const 0x5b))
  (global $BACKSLASH i32 (i32.const 0x5c))
  (global $LOWER_A i32 (i32.const 0x61))
  (global $LOWER_D i32 (i32.const 0x64))
  (global $LOWER_E i32 (i32.const 0x65))
  (global $LOWER_F i32 (i32.const 0x66))
  (global $LOWER_I i32 (i32.const 0x69))
  (global $LOWER_N i32 (i32.const 0x6e))
  (global $LOWER_S i32 (i32.const 0x73))
  (global $LOWER_T i32 (i32.const 0x74))
  (global $LOWER_U i32 (i32.const 0x75))
  (global $OPEN_BRACE i32 (i32.const 0x7b))
  (global $CLOSE_BRACE i32 (i32.const 0x7d))
  ;; OR-ing this bit into an ASCII letter makes it lower case (`E` -> `e`).
  (global $LOWER_CASE_BIT i32 (i32.const 0x20))
  (global $DECIMAL_DIGITS i32 (i32.const 10))
  (global $NONZERO_DIGITS i32 (i32.const 9))
  (global $HEX_LETTERS i32 (i32.const 6))
  ;; In ASCII the closer of `{` and `[` is two code points further (`}`, `]`),
  ;; so that bit is clear in closers and set in openers.
  (global $CLOSER_OFFSET i32 (i32.const 2))
  (global $OPENER_BIT i32 (i32.const 2))
  ;; AND-ing this into `{` or `}` gives `[` or `]`, and no other byte gives those.
  (global $FOLD_BRACE i32 (i32.const 0xdf))
  (global $CLOSE_BRACKET i32 (i32.const 0x5d))

  ;; ---- stage 1
  (global $BLOCK_BYTES i32 (i32.const 64))
  (global $VECTOR_BYTES i32 (i32.const 16))
  (global $BITS_PER_HALF_BLOCK i64 (i64.const 32))
  (global $LAST_BIT i64 (i64.const 63))
  ;; Every odd bit of a 64-bit mask (simdjson's ODD_BITS).
  (global $ODD_BITS i64 (i64.const 0xaaaaaaaaaaaaaaaa))
  (global $ALL_BITS i64 (i64.const -1))

  (func $is_digit (param $c i32) (result i32)
    (i32.lt_u (i32.sub (local.get $c) (global.get $DIGIT_0)) (global.get $DECIMAL_DIGITS)))

  ;; First position at or after $i that is not JSON whitespace.
  (func $whitespace_end (param $i i32) (param $end i32) (result i32)
    (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        ;; Frames seldom have whitespace between tokens, and all four
        ;; whitespace bytes are at most SPACE, so one compare usually settles it.
        (br_if $done (i32.gt_u (local.get $c) (global.get $SPACE)))
        (br_if $done
          (i32.eqz
            (i32.or
              (i32.or (i32.eq (local.get $c) (global.get $SPACE)) (i32.eq (local.get $c) (global.get $TAB)))
              (i32.or (i32.eq (local.get $c) (global.get $LF)) (i32.eq (local.get $c) (global.get $CR))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i))

  ;; Position after the digits starting at $i.
  (func $digits_end (param $i i32) (param $end i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (br_if $done
          (i32.ge_u (i32.sub (i32.load8_u (local.get $i)) (global.get $DIGIT_0)) (global.get $DECIMAL_DIGITS)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i))

  ;; Position after the JSON number at $i, or TRUNCATED when the frame ends
  ;; inside it, or INVALID. Stops at the first byte that cannot continue it.
  (func $number_end (param $i i32) (param $end i32) (result i32)
    (local $c i32)
    (if (i32.eq (i32.load8_u (local.get $i)) (global.get $MINUS))
      (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
    (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.eq (local.get $c) (global.get $DIGIT_0))
      (then (local.set $i (i32.add (local.get $i) (i32.const 1))))
      (else
        (if (i32.ge_u (i32.sub (local.get $c) (global.get $DIGIT_1)) (global.get $NONZERO_DIGITS))
          (then (return (global.get $INVALID))))
        (local.set $i (call $digits_end (i32.add (local.get $i) (i32.const 1)) (local.get $end)))))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (if (i32.eq (i32.load8_u (local.get $i)) (global.get $DOT))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
            (if (i32.eqz (call $is_digit (i32.load8_u (local.get $i)))) (then (return (global.get $INVALID))))
            (local.set $i (call $digits_end (i32.add (local.get $i) (i32.const 1)) (local.get $end)))))))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (if (i32.eq (i32.or (i32.load8_u (local.get $i)) (global.get $LOWER_CASE_BIT)) (global.get $LOWER_E))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (if (i32.lt_u (local.get $i) (local.get $end))
              (then
                (local.set $c (i32.load8_u (local.get $i)))
                (if (i32.or (i32.eq (local.get $c) (global.get $PLUS)) (i32.eq (local.get $c) (global.get $MINUS)))
                  (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))))
            (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
            (if (i32.eqz (call $is_digit (i32.load8_u (local.get $i)))) (then (return (global.get $INVALID))))
            (local.set $i (call $digits_end (i32.add (local.get $i) (i32.const 1)) (local.get $end)))))))
    (local.get $i))

  ;; Position after the literal of $bytes bytes at $literal in memory, whose
  ;; first byte is known to match the frame at $i.
  (func $literal_end (param $i i32) (param $end i32) (param $literal i32) (param $bytes i32) (result i32)
    (local $k i32)
    (local.set $k (i32.const 1))
    (block $matched
      (loop $next
        (br_if $matched (i32.ge_u (local.get $k) (local.get $bytes)))
        (if (i32.ge_u (i32.add (local.get $i) (local.get $k)) (local.get $end)) (then (return (global.get $TRUNCATED))))
        (if (i32.ne (i32.load8_u (i32.add (local.get $i) (local.get $k))) (i32.load8_u (i32.add (local.get $literal) (local.get $k))))
          (then (return (global.get $INVALID))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))
    (i32.add (local.get $i) (local.get $bytes)))

  ;; Position after the number or literal at $i, checking its grammar.
  (func $scalar_end (param $i i32) (param $end i32) (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.or (i32.eq (local.get $c) (global.get $MINUS)) (call $is_digit (local.get $c)))
      (then (return (call $number_end (local.get $i) (local.get $end)))))
    (if (i32.eq (local.get $c) (global.get $LOWER_T))
      (then (return (call $literal_end (local.get $i) (local.get $end) (global.get $TRUE_AT) (global.get $TRUE_BYTES)))))
    (if (i32.eq (local.get $c) (global.get $LOWER_F))
      (then (return (call $literal_end (local.get $i) (local.get $end) (global.get $FALSE_AT) (global.get $FALSE_BYTES)))))
    (if (i32.eq (local.get $c) (global.get $LOWER_N))
      (then (return (call $literal_end (local.get $i) (local.get $end) (global.get $NULL_AT) (global.get $NULL_BYTES)))))
    (global.get $INVALID))

  ;; ---- stage 1: the byte classes, as two 16-entry tables indexed by a
  ;; byte's low and high nibble. A byte may appear outside strings when the
  ;; AND of its two entries is not zero: each of bits 0-6 stands for one high
  ;; nibble (0, 2, 3, 4, 6, 7; bit 4 is unused) and is set in the low table
  ;; for the low nibbles allowed with it. Bit 7 marks the four brackets
  ;; (high nibble 5 or 7, low nibble b or d), which are allowed too; it is
  ;; the bit `i8x16.bitmask` reads, so the bracket mask costs no compare.
  ;;   high 0: \t \n \r      high 2: space " + , - .   high 3: 0-9 :
  ;;   high 4: E             high 6: a e f l n         high 7: r s t u
  ;; (the letters of numbers and of true, false and null), and [ ] { }.
  (global $LOW_NIBBLE_CLASSES v128
    (v128.const i8x16 0x06 0x24 0x46 0x44 0x44 0x6c 0x24 0x04 0x04 0x05 0x05 0x82 0x22 0x83 0x22 0x00))
  (global $HIGH_NIBBLE_CLASSES v128
    (v128.const i8x16 0x01 0x00 0x02 0x04 0x08 0x80 0x20 0xc0 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00))
  (global $LOW_NIBBLE v128 (v128.const i8x16 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f 0x0f))
  (global $QUOTES v128 (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22))
  (global $BACKSLASHES v128 (v128.const i8x16 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c))
  (global $NO_CLASS v128 (v128.const i64x2 0 0))
  ;; List entries written per block before counting them: most blocks have
  ;; fewer, so one unconditional run of stores covers them.
  (global $UNROLLED_BRACKETS i32 (i32.const 4))
  (global $ENTRY_BYTES i32 (i32.const 4))
  (global $MASK_BYTES i32 (i32.const 8))
  (global $LOG2_BLOCK_BYTES i32 (i32.const 6))
  (global $LOG2_MASK_BYTES i32 (i32.const 3))

  ;; Stage 1 over the frame's bytes from $p to $end, 64 at a time: writes
  ;; one 64-bit mask per block to $quote_masks, with a bit for every quote
  ;; that closes a string (and one empty mask after them), and the address
  ;; of every bracket or refused byte outside strings, in order, to
  ;; $brackets. Returns the address after the last entry.
  (func $classify (param $p i32) (param $end i32) (param $quote_masks i32) (param $brackets i32) (result i32)
    (local $v0 v128)
    (local $v1 v128)
    (local $v2 v128)
    (local $v3 v128)
    (local $c0 v128)
    (local $c1 v128)
    (local $c2 v128)
    (local $c3 v128)
    (local $remaining i32)
    (local $valid i64)
    (local $quotes i64)
    (local $backslashes i64)
    (local $outside i64)
    (local $potential i64)
    (local $code i64)
    ;; 1 when the first byte of the next block is escaped.
    (local $escape_carry i64)
    (local $in_string i64)
    ;; All ones when the next block starts inside a string.
    (local $string_carry i64)
    (local $found i64)
    (local $count i32)
    (local $at i32)
    (local.set $at (local.get $brackets))
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        ;; Bits for bytes at or past $end are cleared: the loads read stale
        ;; bytes there. Every step below only carries information from lower
        ;; bits to higher ones, so those bytes cannot change the rest.
        (local.set $remaining (i32.sub (local.get $end) (local.get $p)))
        (local.set $valid
          (select
            (global.get $ALL_BITS)
            (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $remaining))) (i64.const 1))
            (i32.ge_u (local.get $remaining) (global.get $BLOCK_BYTES))))
        (local.set $v0 (v128.load (local.get $p)))
        (local.set $v1 (v128.load offset=16 (local.get $p)))
        (local.set $v2 (v128.load offset=32 (local.get $p)))
        (local.set $v3 (v128.load offset=48 (local.get $p)))
        (local.set $c0
          (v128.and
            (i8x16.swizzle (global.get $LOW_NIBBLE_CLASSES) (v128.and (local.get $v0) (global.get $LOW_NIBBLE)))
            (i8x16.swizzle (global.get $HIGH_NIBBLE_CLASSES) (i8x16.shr_u (local.get $v0) (global.get $BITS_PER_NIBBLE)))))
        (local.set $c1
          (v128.and
            (i8x16.swizzle (global.get $LOW_NIBBLE_CLASSES) (v128.and (local.get $v1) (global.get $LOW_NIBBLE)))
            (i8x16.swizzle (global.get $HIGH_NIBBLE_CLASSES) (i8x16.shr_u (local.get $v1) (global.get $BITS_PER_NIBBLE)))))
        (local.set $c2
          (v128.and
            (i8x16.swizzle (global.get $LOW_NIBBLE_CLASSES) (v128.and (local.get $v2) (global.get $LOW_NIBBLE)))
            (i8x16.swizzle (global.get $HIGH_NIBBLE_CLASSES) (i8x16.shr_u (local.get $v2) (global.get $BITS_PER_NIBBLE)))))
        (local.set $c3
          (v128.and
            (i8x16.swizzle (global.get $LOW_NIBBLE_CLASSES) (v128.and (local.get $v3) (global.get $LOW_NIBBLE)))
            (i8x16.swizzle (global.get $HIGH_NIBBLE_CLASSES) (i8x16.shr_u (local.get $v3) (global.get $BITS_PER_NIBBLE)))))
        ;; Each mask: four 16-bit bitmasks, lowest address in the lowest bits.
        (local.set $quotes
          (i64.and (local.get $valid)
            (i64.or
              (i64.extend_i32_u
                (i32.or
                  (i8x16.bitmask (i8x16.eq (local.get $v0) (global.get $QUOTES)))
                  (i32.shl (i8x16.bitmask (i8x16.eq (local.get $v1) (global.get $QUOTES))) (global.get $VECTOR_BYTES))))
              (i64.shl
                (i64.extend_i32_u
                  (i32.or
                    (i8x16.bitmask (i8x16.eq (local.get $v2) (global.get $QUOTES)))
                    (i32.shl (i8x16.bitmask (i8x16.eq (local.get $v3) (global.get $QUOTES))) (global.get $VECTOR_BYTES))))
                (global.get $BITS_PER_HALF_BLOCK)))))
        (local.set $backslashes
          (i64.and (local.get $valid)
            (i64.or
              (i64.extend_i32_u
                (i32.or
                  (i8x16.bitmask (i8x16.eq (local.get $v0) (global.get $BACKSLASHES)))
                  (i32.shl (i8x16.bitmask (i8x16.eq (local.get $v1) (global.get $BACKSLASHES))) (global.get $VECTOR_BYTES))))
              (i64.shl
                (i64.extend_i32_u
                  (i32.or
                    (i8x16.bitmask (i8x16.eq (local.get $v2) (global.get $BACKSLASHES)))
                    (i32.shl (i8x16.bitmask (i8x16.eq (local.get $v3) (global.get $BACKSLASHES))) (global.get $VECTOR_BYTES))))
                (global.get $BITS_PER_HALF_BLOCK)))))
        ;; Escaped bytes (simdjson's json_escape_scanner): a subtraction turns
        ;; each run of backslashes that starts on an even bit into ones and
        ;; each that starts on an odd bit into zeros, up to the byte after
        ;; the run; XOR with the odd bits then leaves, for every run, the
        ;; bits of the bytes its backslashes escape. The borrow only runs
        ;; upwards, and a run that ends a block escapes the next block's
        ;; first byte through the carry.
        (local.set $potential
          (i64.and (local.get $backslashes) (i64.xor (local.get $escape_carry) (global.get $ALL_BITS))))
        (local.set $code
          (i64.xor
            (i64.sub
              (i64.or (i64.shl (local.get $potential) (i64.const 1)) (global.get $ODD_BITS))
              (local.get $potential))
            (global.get $ODD_BITS)))
        ;; An escaped quote is content, not a string's edge.
        (local.set $quotes
          (i64.and
            (local.get $quotes)
            (i64.xor
              (i64.xor (local.get $code) (i64.or (local.get $backslashes) (local.get $escape_carry)))
              (global.get $ALL_BITS))))
        (local.set $escape_carry
          (i64.shr_u (i64.and (local.get $code) (local.get $backslashes)) (global.get $LAST_BIT)))
        ;; Inside strings: a prefix XOR of the quotes (bit i is the XOR of
        ;; bits 0..i), which includes each opening quote and excludes each
        ;; closing one. Without a carry-less multiply, six shifts.
        (local.set $in_string (local.get $quotes))
        (local.set $in_string (i64.xor (local.get $in_string) (i64.shl (local.get $in_string) (i64.const 1))))
        (local.set $in_string (i64.xor (local.get $in_string) (i64.shl (local.get $in_string) (i64.const 2))))
        (local.set $in_string (i64.xor (local.get $in_string) (i64.shl (local.get $in_string) (i64.const 4))))
        (local.set $in_string (i64.xor (local.get $in_string) (i64.shl (local.get $in_string) (i64.const 8))))
        (local.set $in_string (i64.xor (local.get $in_string) (i64.shl (local.get $in_string) (i64.const 16))))
        (local.set $in_string (i64.xor (local.get $in_string) (i64.shl (local.get $in_string) (i64.const 32))))
        (local.set $in_string (i64.xor (local.get $in_string) (local.get $string_carry)))
        (local.set $string_carry (i64.shr_s (local.get $in_string) (global.get $LAST_BIT)))
        (local.set $outside (i64.and (local.get $valid) (i64.xor (local.get $in_string) (global.get $ALL_BITS))))
        (i64.store (local.get $quote_masks) (i64.and (local.get $quotes) (local.get $outside)))
        (local.set $quote_masks (i32.add (local.get $quote_masks) (global.get $MASK_BYTES)))
        ;; Brackets and bytes JSON never allows outside a string, together:
        ;; a byte of class 0 gets bit 7 as well, so one bitmask holds both,
        ;; and $nest refuses any of them that is not a bracket. (Past the
        ;; root's `}` such a byte makes the frame invalid as well.)
        (local.set $found
          (i64.and (local.get $outside)
            (i64.or
              (i64.extend_i32_u
                (i32.or
                  (i8x16.bitmask (v128.or (local.get $c0) (i8x16.eq (local.get $c0) (global.get $NO_CLASS))))
                  (i32.shl (i8x16.bitmask (v128.or (local.get $c1) (i8x16.eq (local.get $c1) (global.get $NO_CLASS)))) (global.get $VECTOR_BYTES))))
              (i64.shl
                (i64.extend_i32_u
                  (i32.or
                    (i8x16.bitmask (v128.or (local.get $c2) (i8x16.eq (local.get $c2) (global.get $NO_CLASS))))
                    (i32.shl (i8x16.bitmask (v128.or (local.get $c3) (i8x16.eq (local.get $c3) (global.get $NO_CLASS)))) (global.get $VECTOR_BYTES))))
                (global.get $BITS_PER_HALF_BLOCK)))))
        ;; The brackets' addresses, as simdjson writes its structural index:
        ;; the first few unconditionally (a store past the count is
        ;; overwritten later, and the area has room for it), the rest in a
        ;; loop that few blocks need. That spares a branch per bracket.
        (local.set $count (i32.wrap_i64 (i64.popcnt (local.get $found))))
        (i32.store (local.get $at) (i32.add (local.get $p) (i32.wrap_i64 (i64.ctz (local.get $found)))))
        (local.set $found (i64.and (local.get $found) (i64.sub (local.get $found) (i64.const 1))))
        (i32.store offset=4 (local.get $at) (i32.add (local.get $p) (i32.wrap_i64 (i64.ctz (local.get $found)))))
        (local.set $found (i64.and (local.get $found) (i64.sub (local.get $found) (i64.const 1))))
        (i32.store offset=8 (local.get $at) (i32.add (local.get $p) (i32.wrap_i64 (i64.ctz (local.get $found)))))
        (local.set $found (i64.and (local.get $found) (i64.sub (local.get $found) (i64.const 1))))
        (i32.store offset=12 (local.get $at) (i32.add (local.get $p) (i32.wrap_i64 (i64.ctz (local.get $found)))))
        (if (i32.gt_u (local.get $count) (global.get $UNROLLED_BRACKETS))
          (then
            (local.set $at (i32.add (local.get $at) (i32.mul (global.get $UNROLLED_BRACKETS) (global.get $ENTRY_BYTES))))
            (local.set $count (i32.sub (local.get $count) (global.get $UNROLLED_BRACKETS)))
            (loop $more
              (local.set $found (i64.and (local.get $found) (i64.sub (local.get $found) (i64.const 1))))
              (i32.store (local.get $at) (i32.add (local.get $p) (i32.wrap_i64 (i64.ctz (local.get $found)))))
              (local.set $at (i32.add (local.get $at) (global.get $ENTRY_BYTES)))
              (br_if $more (i64.ne (i64.and (local.get $found) (i64.sub (local.get $found) (i64.const 1))) (i64.const 0))))
            (local.set $count (i32.const 0))))
        (local.set $at (i32.add (local.get $at) (i32.shl (local.get $count) (i32.const 2))))
        (local.set $p (i32.add (local.get $p) (global.get $BLOCK_BYTES)))
        (br $block)))
    ;; One more, empty mask: stage 2 reads two at a time.
    (i64.store (local.get $quote_masks) (i64.const 0))
    (local.get $at))

  ;; Stage 1, second half: walks the entries from $at to $at_end in order,
  ;; refusing any that is not a bracket and checking that the brackets
  ;; balance and match with a stack of expected closers at $stack (the
  ;; root's `}` first); stops at the root's own `}`. Rewrites the entries in
  ;; place (never ahead of the one it reads) into the addresses of the
  ;; closers that return to depth 1, the ends of the root's nested values, in
  ;; order. Returns the address after the last of those, or INVALID.
  (func $nest (param $at i32) (param $at_end i32) (param $stack i32) (result i32)
    (local $out i32)
    (local $address i32)
    (local $byte i32)
    (local $opener i32)
    (local $depth i32)
    (local $mismatch i32)
    (i32.store8 (local.get $stack) (global.get $CLOSE_BRACE))
    (local.set $depth (i32.const 1))
    (local.set $out (local.get $at))
    (block $done
      (loop $bracket
        (br_if $done (i32.ge_u (local.get $at) (local.get $at_end)))
        (local.set $address (i32.load (local.get $at)))
        (local.set $byte (i32.load8_u (local.get $address)))
        ;; Stage 1 listed brackets and refused bytes alike.
        (if (i32.and
              (i32.ne (i32.and (local.get $byte) (global.get $FOLD_BRACE)) (global.get $OPEN_BRACKET))
              (i32.ne (i32.and (local.get $byte) (global.get $FOLD_BRACE)) (global.get $CLOSE_BRACKET)))
          (then (return (global.get $INVALID))))
        ;; No branch on the kind of bracket (it mispredicts on real frames):
        ;; 1 for an opener, 0 for a closer.
        (local.set $opener (i32.shr_u (i32.and (local.get $byte) (global.get $OPENER_BIT)) (i32.const 1)))
        ;; A closer must be the top of the stack; for an opener this compare
        ;; is masked off (opener - 1 is 0).
        (local.set $mismatch
          (i32.or (local.get $mismatch)
            (i32.and
              (i32.xor (i32.load8_u (i32.sub (i32.add (local.get $stack) (local.get $depth)) (i32.const 1))) (local.get $byte))
              (i32.sub (local.get $opener) (i32.const 1)))))
        ;; An opener's closer goes on top; for a closer this writes just
        ;; above the new top, which the next opener overwrites.
        (i32.store8 (i32.add (local.get $stack) (local.get $depth)) (i32.add (local.get $byte) (global.get $CLOSER_OFFSET)))
        (local.set $depth (i32.sub (i32.add (local.get $depth) (i32.shl (local.get $opener) (i32.const 1))) (i32.const 1)))
        ;; Depth 1 after a step means a closer returned to the root (an
        ;; opener leaves depth 2 or more): keep its address.
        (i32.store (local.get $out) (local.get $address))
        (local.set $out (i32.add (local.get $out) (i32.shl (i32.eq (local.get $depth) (i32.const 1)) (i32.const 2))))
        (br_if $done (i32.eqz (local.get $depth)))
        (local.set $at (i32.add (local.get $at) (global.get $ENTRY_BYTES)))
        (br $bracket)))
    (if (local.get $mismatch) (then (return (global.get $INVALID))))
    (local.get $out))

  ;; Value of a hex digit byte, or -1.
  (func $hex_digit (param $c i32) (result i32)
    (local $lower i32)
    (if (i32.lt_u (i32.sub (local.get $c) (global.get $DIGIT_0)) (global.get $DECIMAL_DIGITS))
      (then (return (i32.sub (local.get $c) (global.get $DIGIT_0)))))
    (local.set $lower (i32.or (local.get $c) (global.get $LOWER_CASE_BIT)))
    (if (i32.lt_u (i32.sub (local.get $lower) (global.get $LOWER_A)) (global.get $HEX_LETTERS))
      (then (return (i32.add (i32.sub (local.get $lower) (global.get $LOWER_A)) (global.get $DECIMAL_DIGITS)))))
    (i32.const -1))

  ;; The code unit of the four hex digits at $i, or -1 when one is not a hex digit.
  (func $hex4 (param $i i32) (result i32)
    (local $a i32)
    (local $b i32)
    (local $c i32)
    (local $d i32)
    (local.set $a (call $hex_digit (i32.load8_u (local.get $i))))
    (local.set $b (call $hex_digit (i32.load8_u (i32.add (local.get $i) (i32.const 1)))))
    (local.set $c (call $hex_digit (i32.load8_u (i32.add (local.get $i) (i32.const 2)))))
    (local.set $d (call $hex_digit (i32.load8_u (i32.add (local.get $i) (i32.const 3)))))
    ;; -1 is the only negative digit value, so one sign test covers all four.
    (if (i32.lt_s (i32.or (i32.or (local.get $a) (local.get $b)) (i32.or (local.get $c) (local.get $d))) (i32.const 0))
      (then (return (i32.const -1))))
    (i32.or
      (i32.or
        (i32.shl (local.get $a) (i32.mul (global.get $BITS_PER_NIBBLE) (i32.const 3)))
        (i32.shl (local.get $b) (i32.mul (global.get $BITS_PER_NIBBLE) (i32.const 2))))
      (i32.or
        (i32.shl (local.get $c) (global.get $BITS_PER_NIBBLE))
        (local.get $d))))

  ;; KEY_UID or KEY_TS when the key content $start..$end, which has escapes,
  ;; decodes to `uid` or `ts` as JSON.parse would read it; else KEY_OTHER.
  (func $escaped_key_kind (param $start i32) (param $end i32) (result i32)
    (local $i i32)
    (local $units i32)
    (local $packed i32)
    (local $unit i32)
    (local.set $i (local.get $start))
    (block $decoded
      (loop $next
        (br_if $decoded (i32.ge_u (local.get $i) (local.get $end)))
        ;; `uid` is three code units: a fourth rules both keys out.
        (if (i32.eq (local.get $units) (i32.const 3)) (then (return (global.get $KEY_OTHER))))
        (local.set $unit (i32.load8_u (local.get $i)))
        (if (i32.eq (local.get $unit) (global.get $BACKSLASH))
          (then
            ;; Only `\uXXXX` can stand for a letter; the other escapes stand
            ;; for punctuation and control characters, and a malformed one
            ;; makes the key no key JSON.parse would accept.
            (if (i32.gt_u (i32.add (local.get $i) (global.get $UNICODE_ESCAPE_BYTES)) (local.get $end))
              (then (return (global.get $KEY_OTHER))))
            (if (i32.ne (i32.load8_u (i32.add (local.get $i) (i32.const 1))) (global.get $LOWER_U))
              (then (return (global.get $KEY_OTHER))))
            (local.set $unit (call $hex4 (i32.add (local.get $i) (i32.const 2))))
            (local.set $i (i32.add (local.get $i) (global.get $UNICODE_ESCAPE_BYTES))))
          (else (local.set $i (i32.add (local.get $i) (i32.const 1)))))
        ;; Both keys are ASCII, so a wider unit (or a bad escape, -1) rules them out.
        (if (i32.ge_u (local.get $unit) (global.get $ASCII_LIMIT)) (then (return (global.get $KEY_OTHER))))
        (local.set $packed
          (i32.or (local.get $packed) (i32.shl (local.get $unit) (i32.mul (local.get $units) (global.get $BITS_PER_BYTE)))))
        (local.set $units (i32.add (local.get $units) (i32.const 1)))
        (br $next)))
    (if (i32.and (i32.eq (local.get $units) (i32.const 3)) (i32.eq (local.get $packed) (global.get $PACKED_UID)))
      (then (return (global.get $KEY_UID))))
    (if (i32.and (i32.eq (local.get $units) (i32.const 2)) (i32.eq (local.get $packed) (global.get $PACKED_TS)))
      (then (return (global.get $KEY_TS))))
    (global.get $KEY_OTHER))

  ;; Whether the root key whose content is $start..$end is `uid`, `ts` or another.
  (func $key_kind (param $start i32) (param $end i32) (result i32)
    (local $first i32)
    (local $length i32)
    (local.set $first (i32.load8_u (local.get $start)))
    (local.set $length (i32.sub (local.get $end) (local.get $start)))
    ;; Most keys are ruled out by their first byte: only `u`, `t` or an
    ;; escape can begin `uid` or `ts`.
    (if (i32.eq (local.get $first) (global.get $LOWER_U))
      (then
        (if (i32.and
              (i32.eq (local.get $length) (i32.const 3))
              (i32.and
                (i32.eq (i32.load8_u (i32.add (local.get $start) (i32.const 1))) (global.get $LOWER_I))
                (i32.eq (i32.load8_u (i32.add (local.get $start) (i32.const 2))) (global.get $LOWER_D))))
          (then (return (global.get $KEY_UID)))))
      (else
        (if (i32.eq (local.get $first) (global.get $LOWER_T))
          (then
            (if (i32.and
                  (i32.eq (local.get $length) (i32.const 2))
                  (i32.eq (i32.load8_u (i32.add (local.get $start) (i32.const 1))) (global.get $LOWER_S)))
              (then (return (global.get $KEY_TS)))))
          (else
            (if (i32.ne (local.get $first) (global.get $BACKSLASH)) (then (return (global.get $KEY_OTHER))))))))
    ;; JSON.parse reads `"u\u0069d"` as uid, so a key that could be an
    ;; escaped spelling must be decoded before it can be ruled out.
    (if (i32.or
          (i32.lt_u (local.get $length) (global.get $MIN_ESCAPED_KEY_BYTES))
          (i32.gt_u (local.get $length) (global.get $MAX_ESCAPED_KEY_BYTES)))
      (then (return (global.get $KEY_OTHER))))
    (call $escaped_key_kind (local.get $start) (local.get $end)))

  ;; Address of the quote that closes the string whose content starts at $i,
  ;; or TRUNCATED: the first bit at or after $i in the closing-quote masks
  ;; that stage 1 wrote for the blocks from $start to $masks_end.
  (func $string_close (param $i i32) (param $start i32) (param $masks i32) (param $masks_end i32) (result i32)
    (local $offset i32)
    (local $at i32)
    (local $bits i64)
    (local.set $offset (i32.sub (local.get $i) (local.get $start)))
    (local.set $at
      (i32.add (local.get $masks)
        (i32.shl (i32.shr_u (local.get $offset) (global.get $LOG2_BLOCK_BYTES)) (global.get $LOG2_MASK_BYTES))))
    ;; wasm takes a shift count modulo 64: the offset within the block.
    (local.set $bits (i64.shr_u (i64.load (local.get $at)) (i64.extend_i32_u (local.get $offset))))
    ;; Most strings close in the block they start in.
    (if (i64.ne (local.get $bits) (i64.const 0))
      (then (return (i32.add (local.get $i) (i32.wrap_i64 (i64.ctz (local.get $bits)))))))
    (loop $block
      (local.set $at (i32.add (local.get $at) (global.get $MASK_BYTES)))
      (if (i32.ge_u (local.get $at) (local.get $masks_end)) (then (return (global.get $TRUNCATED))))
      (local.set $bits (i64.load (local.get $at)))
      (br_if $block (i64.eqz (local.get $bits))))
    (i32.add
      (i32.add (local.get $start)
        (i32.shl (i32.sub (local.get $at) (local.get $masks)) (i32.sub (global.get $LOG2_BLOCK_BYTES) (global.get $LOG2_MASK_BYTES))))
      (i32.wrap_i64 (i64.ctz (local.get $bits)))))

  ;; Scans the frame of $length bytes at $base, whose root `{` is at offset
  ;; $open. $stack has room for $length + 1 bytes, $quote_masks for a
  ;; 64-bit mask per 64 bytes of the frame and two more, $brackets for
  ;; $length + 4 i32s. Returns OK and fills RESULTS (the four ranges), or
  ;; TRUNCATED, or INVALID.
  (func $scan
    (param $base i32) (param $length i32) (param $open i32) (param $stack i32) (param $quote_masks i32) (param $brackets i32)
    (result i32)
    (local $start i32)
    (local $end i32)
    (local $masks_end i32)
    (local $closers_end i32)
    (local $closer i32)
    (local $offset i32)
    (local $at i32)
    (local $bits i64)
    (local $is_string i32)
    (local $is_nested i32)
    (local $i i32)
    (local $key i32)
    (local $value_start i32)
    (local $value_end i32)
    (local $c i32)
    (local $uid_start i32)
    (local $uid_end i32)
    (local $ts_start i32)
    (local $ts_end i32)
    (local.set $uid_start (global.get $ABSENT))
    (local.set $uid_end (global.get $ABSENT))
    (local.set $ts_start (global.get $ABSENT))
    (local.set $ts_end (global.get $ABSENT))
    (local.set $end (i32.add (local.get $base) (local.get $length)))
    (local.set $start (i32.add (i32.add (local.get $base) (local.get $open)) (i32.const 1)))
    (local.set $closers_end
      (call $classify (local.get $start) (local.get $end) (local.get $quote_masks) (local.get $brackets)))
    (if (i32.lt_s (local.get $closers_end) (i32.const 0)) (then (return (local.get $closers_end))))
    (local.set $closers_end (call $nest (local.get $brackets) (local.get $closers_end) (local.get $stack)))
    (if (i32.lt_s (local.get $closers_end) (i32.const 0)) (then (return (local.get $closers_end))))
    (local.set $masks_end
      (i32.add (local.get $quote_masks)
        (i32.shl
          (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $start)) (i32.sub (global.get $BLOCK_BYTES) (i32.const 1)))
            (global.get $LOG2_BLOCK_BYTES))
          (global.get $LOG2_MASK_BYTES))))
    (local.set $closer (local.get $brackets))
    ;; From here the grammar of the root object, byte by byte between its
    ;; strings and nested values, which stage 1 says where they end: a
    ;; string at its next closing quote, the n-th nested value at the n-th
    ;; closer that returns to depth 1. When those run out, the frame ended
    ;; inside the value.
    (local.set $i (call $whitespace_end (local.get $start) (local.get $end)))
    (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
    (block $closed
      (br_if $closed (i32.eq (i32.load8_u (local.get $i)) (global.get $CLOSE_BRACE)))
      (loop $member
        (if (i32.ne (i32.load8_u (local.get $i)) (global.get $QUOTE)) (then (return (global.get $INVALID))))
        ;; The key's closing quote: most strings close in the block they
        ;; start in, which takes one load of stage 1's masks.
        (local.set $offset (i32.sub (i32.add (local.get $i) (i32.const 1)) (local.get $start)))
        (local.set $at (i32.add (local.get $quote_masks) (i32.shl (i32.shr_u (local.get $offset) (global.get $LOG2_BLOCK_BYTES)) (global.get $LOG2_MASK_BYTES))))
        ;; The 64 mask bits from the offset on, from this block's mask and the
        ;; next one's (shifted in two steps: a shift counts modulo 64).
        (local.set $bits
          (i64.or
            (i64.shr_u (i64.load (local.get $at)) (i64.extend_i32_u (local.get $offset)))
            (i64.shl (i64.shl (i64.load offset=8 (local.get $at)) (i64.const 1))
              (i64.extend_i32_u (i32.xor (local.get $offset) (i32.const 63))))))
        (if (i64.eqz (local.get $bits))
          (then
            (local.set $value_end
              (call $string_close (i32.add (local.get $i) (i32.const 1)) (local.get $start) (local.get $quote_masks) (local.get $masks_end)))
            (if (i32.lt_s (local.get $value_end) (i32.const 0)) (then (return (local.get $value_end)))))
          (else
            (local.set $value_end (i32.add (i32.add (local.get $i) (i32.const 1)) (i32.wrap_i64 (i64.ctz (local.get $bits)))))))
        ;; Most keys are ruled out by their first byte: only `u`, `t` or an
        ;; escape can begin `uid` or `ts`.
        (local.set $c (i32.load8_u offset=1 (local.get $i)))
        (local.set $key (global.get $KEY_OTHER))
        (if (i32.or
              (i32.or (i32.eq (local.get $c) (global.get $LOWER_U)) (i32.eq (local.get $c) (global.get $LOWER_T)))
              (i32.eq (local.get $c) (global.get $BACKSLASH)))
          (then (local.set $key (call $key_kind (i32.add (local.get $i) (i32.const 1)) (local.get $value_end)))))
        (local.set $i (i32.add (local.get $value_end) (i32.const 1)))
        (if (i32.le_u (i32.load8_u (local.get $i)) (global.get $SPACE))
          (then (local.set $i (call $whitespace_end (local.get $i) (local.get $end)))))
        (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
        (if (i32.ne (i32.load8_u (local.get $i)) (global.get $COLON)) (then (return (global.get $INVALID))))
        (local.set $value_start (i32.add (local.get $i) (i32.const 1)))
        (if (i32.le_u (i32.load8_u (local.get $value_start)) (global.get $SPACE))
          (then (local.set $value_start (call $whitespace_end (local.get $value_start) (local.get $end)))))
        (if (i32.ge_u (local.get $value_start) (local.get $end)) (then (return (global.get $TRUNCATED))))
        (local.set $c (i32.load8_u (local.get $value_start)))
        (block $valued
          ;; A string or a nested value, without a branch on which: both
          ;; ends are looked up and one is taken.
          (local.set $is_string (i32.eq (local.get $c) (global.get $QUOTE)))
          (local.set $is_nested (i32.eq (i32.or (local.get $c) (global.get $LOWER_CASE_BIT)) (global.get $OPEN_BRACE)))
          (if (i32.or (local.get $is_string) (local.get $is_nested))
            (then
              (local.set $offset (i32.sub (i32.add (local.get $value_start) (i32.const 1)) (local.get $start)))
              (local.set $at (i32.add (local.get $quote_masks) (i32.shl (i32.shr_u (local.get $offset) (global.get $LOG2_BLOCK_BYTES)) (global.get $LOG2_MASK_BYTES))))
              (local.set $bits
                (i64.or
                  (i64.shr_u (i64.load (local.get $at)) (i64.extend_i32_u (local.get $offset)))
                  (i64.shl (i64.shl (i64.load offset=8 (local.get $at)) (i64.const 1))
                    (i64.extend_i32_u (i32.xor (local.get $offset) (i32.const 63))))))
              (local.set $value_end
                (select
                  (i32.add (i32.add (local.get $value_start) (i32.const 2)) (i32.wrap_i64 (i64.ctz (local.get $bits))))
                  (i32.add (i32.load (local.get $closer)) (i32.const 1))
                  (local.get $is_string)))
              (local.set $closer (i32.add (local.get $closer) (i32.shl (local.get $is_nested) (i32.const 2))))
              ;; Rare: a string that does not close within 64 bytes, or no
              ;; closer left (the frame ended inside the value).
              (br_if $valued
                (i32.eqz
                  (i32.or
                    (i32.and (local.get $is_string) (i64.eqz (local.get $bits)))
                    (i32.and (local.get $is_nested) (i32.gt_u (local.get $closer) (local.get $closers_end))))))
              (if (local.get $is_nested) (then (return (global.get $TRUNCATED))))
              (local.set $value_end
                (call $string_close (i32.add (local.get $value_start) (i32.const 1)) (local.get $start) (local.get $quote_masks) (local.get $masks_end)))
              (if (i32.lt_s (local.get $value_end) (i32.const 0)) (then (return (local.get $value_end))))
              (local.set $value_end (i32.add (local.get $value_end) (i32.const 1)))
              (br $valued)))
          ;; Scalars: the literals by one 4-byte compare, plain integers by a
          ;; digit loop; anything else (and a frame that ends too soon) by
          ;; the full grammar.
          (block $scalar
            (if (i32.le_u (i32.add (local.get $value_start) (global.get $FALSE_BYTES)) (local.get $end))
              (then
                (local.set $offset (i32.load (local.get $value_start)))
                (if (i32.or (i32.eq (local.get $offset) (global.get $PACKED_TRUE)) (i32.eq (local.get $offset) (global.get $PACKED_NULL)))
                  (then
                    (local.set $value_end (i32.add (local.get $value_start) (global.get $TRUE_BYTES)))
                    (br $valued)))
                (if (i32.and (i32.eq (local.get $offset) (global.get $PACKED_FALS)) (i32.eq (i32.load8_u offset=4 (local.get $value_start)) (global.get $LOWER_E)))
                  (then
                    (local.set $value_end (i32.add (local.get $value_start) (global.get $FALSE_BYTES)))
                    (br $valued)))))
            (br_if $scalar (i32.ge_u (i32.sub (local.get $c) (global.get $DIGIT_1)) (global.get $NONZERO_DIGITS)))
            (local.set $value_end (i32.add (local.get $value_start) (i32.const 1)))
            (block $digits
              (loop $digit
                (br_if $digits (i32.ge_u (local.get $value_end) (local.get $end)))
                (br_if $digits (i32.ge_u (i32.sub (i32.load8_u (local.get $value_end)) (global.get $DIGIT_0)) (global.get $DECIMAL_DIGITS)))
                (local.set $value_end (i32.add (local.get $value_end) (i32.const 1)))
                (br $digit)))
            ;; A fraction or exponent follows: the full grammar.
            (br_if $scalar
              (i32.and (i32.lt_u (local.get $value_end) (local.get $end))
                (i32.or (i32.eq (i32.load8_u (local.get $value_end)) (global.get $DOT))
                  (i32.eq (i32.or (i32.load8_u (local.get $value_end)) (global.get $LOWER_CASE_BIT)) (global.get $LOWER_E)))))
            (br $valued))
          (local.set $value_end (call $scalar_end (local.get $value_start) (local.get $end)))
          (if (i32.lt_s (local.get $value_end) (i32.const 0)) (then (return (local.get $value_end)))))
        ;; A later duplicate replaces an earlier one, as with JSON.parse.
        (if (i32.eq (local.get $key) (global.get $KEY_UID))
          (then
            (local.set $uid_start (i32.sub (local.get $value_start) (local.get $base)))
            (local.set $uid_end (i32.sub (local.get $value_end) (local.get $base)))))
        (if (i32.eq (local.get $key) (global.get $KEY_TS))
          (then
            (local.set $ts_start (i32.sub (local.get $value_start) (local.get $base)))
            (local.set $ts_end (i32.sub (local.get $value_end) (local.get $base)))))
        (local.set $i (local.get $value_end))
        (if (i32.le_u (i32.load8_u (local.get $i)) (global.get $SPACE))
          (then (local.set $i (call $whitespace_end (local.get $i) (local.get $end)))))
        (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
        (local.set $c (i32.load8_u (local.get $i)))
        (br_if $closed (i32.eq (local.get $c) (global.get $CLOSE_BRACE)))
        (if (i32.ne (local.get $c) (global.get $COMMA)) (then (return (global.get $INVALID))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.le_u (i32.load8_u (local.get $i)) (global.get $SPACE))
          (then (local.set $i (call $whitespace_end (local.get $i) (local.get $end)))))
        (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
        (br $member)))
    ;; Only whitespace may follow the root object.
    (if (i32.lt_u (call $whitespace_end (i32.add (local.get $i) (i32.const 1)) (local.get $end)) (local.get $end))
      (then (return (global.get $INVALID))))
    (i32.store (global.get $RESULTS) (local.get $uid_start))
    (i32.store offset=4 (global.get $RESULTS) (local.get $uid_end))
    (i32.store offset=8 (global.get $RESULTS) (local.get $ts_start))
    (i32.store offset=12 (global.get $RESULTS) (local.get $ts_end))
    (global.get $OK))

  ;; ---- after the scan: the uid hash and a plain ts, for the common frame
  ;; (a uid string without escapes, a ts of plain digits), so that
  ;; JavaScript reads three numbers instead of the frame. Every other frame
  ;; gets RANGES_ONLY, and JavaScript applies the rules to the value ranges
  ;; (src/root-values.ts), so the rules live in one place.

  ;; MurmurHash3_x86_128 with seed 0, as src/hash.ts (the tests hold the two
  ;; to the same values): four lanes, mixed after every 16-byte block.
  (global $MURMUR_C1 i32 (i32.const 0x239b961b))
  (global $MURMUR_C2 i32 (i32.const 0xab0e9789))
  (global $MURMUR_C3 i32 (i32.const 0x38b34ae5))
  (global $MURMUR_C4 i32 (i32.const 0xa1e38b93))
  (global $MURMUR_N1 i32 (i32.const 0x561ccd1b))
  (global $MURMUR_N2 i32 (i32.const 0x0bcaa747))
  (global $MURMUR_N3 i32 (i32.const 0x96cd1c35))
  (global $MURMUR_N4 i32 (i32.const 0x32ac3b17))
  (global $FMIX_M1 i32 (i32.const 0x85ebca6b))
  (global $FMIX_M2 i32 (i32.const 0xc2b2ae35))
  (global $MURMUR_BLOCK_BYTES i32 (i32.const 16))
  (global $WORD_BYTES i32 (i32.const 4))
  ;; Where $hash writes h1 and h2, and `decode` the ts, after the four ranges.
  (global $HASH_HI_AT i32 (i32.const 16))
  (global $HASH_LO_AT i32 (i32.const 20))
  (global $TS_AT i32 (i32.const 24))

  (func $fmix (param $h i32) (result i32)
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32.mul (local.get $h) (global.get $FMIX_M1)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
    (local.set $h (i32.mul (local.get $h) (global.get $FMIX_M2)))
    (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))

  ;; The little-endian word of the $n (clamped to 0..4) bytes at $p: the
  ;; tail words of the hash. The bytes past them are stale and masked off.
  (func $tail_word (param $p i32) (param $n i32) (result i32)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
    (if (i32.ge_s (local.get $n) (global.get $WORD_BYTES)) (then (return (i32.load (local.get $p)))))
    (i32.and (i32.load (local.get $p))
      (i32.sub (i32.shl (i32.const 1) (i32.mul (local.get $n) (global.get $BITS_PER_BYTE))) (i32.const 1))))

  ;; Hashes the $length bytes at $p; writes h1 and h2 to HASH_HI_AT and HASH_LO_AT.
  (func $hash (param $p i32) (param $length i32)
    (local $h1 i32)
    (local $h2 i32)
    (local $h3 i32)
    (local $h4 i32)
    (local $k i32)
    (local $blocks_end i32)
    (local $tail i32)
    (local.set $blocks_end
      (i32.add (local.get $p) (i32.and (local.get $length) (i32.sub (i32.const 0) (global.get $MURMUR_BLOCK_BYTES)))))
    (block $blocks_done
      (loop $block
        (br_if $blocks_done (i32.ge_u (local.get $p) (local.get $blocks_end)))
        (local.set $h1
          (i32.xor (local.get $h1)
            (i32.mul (i32.rotl (i32.mul (i32.load offset=0 (local.get $p)) (global.get $MURMUR_C1)) (i32.const 15)) (global.get $MURMUR_C2))))
        (local.set $h1
          (i32.add (i32.mul (i32.add (i32.rotl (local.get $h1) (i32.const 19)) (local.get $h2)) (i32.const 5)) (global.get $MURMUR_N1)))
        (local.set $h2
          (i32.xor (local.get $h2)
            (i32.mul (i32.rotl (i32.mul (i32.load offset=4 (local.get $p)) (global.get $MURMUR_C2)) (i32.const 16)) (global.get $MURMUR_C3))))
        (local.set $h2
          (i32.add (i32.mul (i32.add (i32.rotl (local.get $h2) (i32.const 17)) (local.get $h3)) (i32.const 5)) (global.get $MURMUR_N2)))
        (local.set $h3
          (i32.xor (local.get $h3)
            (i32.mul (i32.rotl (i32.mul (i32.load offset=8 (local.get $p)) (global.get $MURMUR_C3)) (i32.const 17)) (global.get $MURMUR_C4))))
        (local.set $h3
          (i32.add (i32.mul (i32.add (i32.rotl (local.get $h3) (i32.const 15)) (local.get $h4)) (i32.const 5)) (global.get $MURMUR_N3)))
        (local.set $h4
          (i32.xor (local.get $h4)
            (i32.mul (i32.rotl (i32.mul (i32.load offset=12 (local.get $p)) (global.get $MURMUR_C4)) (i32.const 18)) (global.get $MURMUR_C1))))
        (local.set $h4
          (i32.add (i32.mul (i32.add (i32.rotl (local.get $h4) (i32.const 13)) (local.get $h1)) (i32.const 5)) (global.get $MURMUR_N4)))
        (local.set $p (i32.add (local.get $p) (global.get $MURMUR_BLOCK_BYTES)))
        (br $block)))
    ;; The 0-15 tail bytes feed whole or partial words into lanes 4..1; a
    ;; lane whose word is absent is left alone (a zero word would not be).
    (local.set $tail (i32.and (local.get $length) (i32.sub (global.get $MURMUR_BLOCK_BYTES) (i32.const 1))))
    (if (i32.gt_u (local.get $tail) (i32.const 12))
      (then
        (local.set $h4
          (i32.xor (local.get $h4)
            (i32.mul (i32.rotl (i32.mul (call $tail_word (i32.add (local.get $p) (i32.const 12)) (i32.sub (local.get $tail) (i32.const 12))) (global.get $MURMUR_C4)) (i32.const 18)) (global.get $MURMUR_C1))))))
    (if (i32.gt_u (local.get $tail) (i32.const 8))
      (then
        (local.set $h3
          (i32.xor (local.get $h3)
            (i32.mul (i32.rotl (i32.mul (call $tail_word (i32.add (local.get $p) (i32.const 8)) (i32.sub (local.get $tail) (i32.const 8))) (global.get $MURMUR_C3)) (i32.const 17)) (global.get $MURMUR_C4))))))
    (if (i32.gt_u (local.get $tail) (i32.const 4))
      (then
        (local.set $h2
          (i32.xor (local.get $h2)
            (i32.mul (i32.rotl (i32.mul (call $tail_word (i32.add (local.get $p) (i32.const 4)) (i32.sub (local.get $tail) (i32.const 4))) (global.get $MURMUR_C2)) (i32.const 16)) (global.get $MURMUR_C3))))))
    (if (i32.gt_u (local.get $tail) (i32.const 0))
      (then
        (local.set $h1
          (i32.xor (local.get $h1)
            (i32.mul (i32.rotl (i32.mul (call $tail_word (local.get $p) (local.get $tail)) (global.get $MURMUR_C1)) (i32.const 15)) (global.get $MURMUR_C2))))))
    (local.set $h1 (i32.xor (local.get $h1) (local.get $length)))
    (local.set $h2 (i32.xor (local.get $h2) (local.get $length)))
    (local.set $h3 (i32.xor (local.get $h3) (local.get $length)))
    (local.set $h4 (i32.xor (local.get $h4) (local.get $length)))
    (local.set $h1 (i32.add (i32.add (local.get $h1) (local.get $h2)) (i32.add (local.get $h3) (local.get $h4))))
    (local.set $h2 (i32.add (local.get $h2) (local.get $h1)))
    (local.set $h3 (i32.add (local.get $h3) (local.get $h1)))
    (local.set $h4 (i32.add (local.get $h4) (local.get $h1)))
    (local.set $h1 (call $fmix (local.get $h1)))
    (local.set $h2 (call $fmix (local.get $h2)))
    (local.set $h3 (call $fmix (local.get $h3)))
    (local.set $h4 (call $fmix (local.get $h4)))
    (local.set $h1 (i32.add (i32.add (local.get $h1) (local.get $h2)) (i32.add (local.get $h3) (local.get $h4))))
    (local.set $h2 (i32.add (local.get $h2) (local.get $h1)))
    (i32.store (global.get $HASH_HI_AT) (local.get $h1))
    (i32.store (global.get $HASH_LO_AT) (local.get $h2)))

  ;; A plain ts: at most this many digits, and below 2^32.
  (global $MAX_PLAIN_TS_DIGITS i32 (i32.const 10))
  (global $TS_LIMIT i64 (i64.const 0x100000000))
  (global $NOT_PLAIN i64 (i64.const -1))

  ;; The value of the digits from $p to $end when they are a plain ts (1 to
  ;; 10 decimal digits, no leading zero but in `0`, below 2^32), else NOT_PLAIN.
  (func $plain_ts (param $p i32) (param $end i32) (result i64)
    (local $digits i32)
    (local $digit i32)
    (local $value i64)
    (local.set $digits (i32.sub (local.get $end) (local.get $p)))
    (if (i32.or (i32.lt_s (local.get $digits) (i32.const 1)) (i32.gt_s (local.get $digits) (global.get $MAX_PLAIN_TS_DIGITS)))
      (then (return (global.get $NOT_PLAIN))))
    (if (i32.and (i32.eq (i32.load8_u (local.get $p)) (global.get $DIGIT_0)) (i32.gt_s (local.get $digits) (i32.const 1)))
      (then (return (global.get $NOT_PLAIN))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $digit (i32.sub (i32.load8_u (local.get $p)) (global.get $DIGIT_0)))
        (if (i32.ge_u (local.get $digit) (global.get $DECIMAL_DIGITS)) (then (return (global.get $NOT_PLAIN))))
        (local.set $value
          (i64.add (i64.mul (local.get $value) (i64.extend_i32_u (global.get $DECIMAL_DIGITS))) (i64.extend_i32_u (local.get $digit))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (if (i64.ge_u (local.get $value) (global.get $TS_LIMIT)) (then (return (global.get $NOT_PLAIN))))
    (local.get $value))

  ;; ---- results of `decode` (TRUNCATED and INVALID as above)
  (global $DECODED i32 (i32.const 0))
  (global $RANGES_ONLY i32 (i32.const 1))
  (global $EMPTY i32 (i32.const -3))
  (global $NOT_OBJECT i32 (i32.const -4))

  ;; Decodes the frame of $length bytes at $base (scratch as for `scan`).
  ;; Returns DECODED with h1, h2 and the ts at HASH_HI_AT, HASH_LO_AT and
  ;; TS_AT; or RANGES_ONLY with the value ranges in RESULTS, for JavaScript
  ;; to judge; or EMPTY, NOT_OBJECT, TRUNCATED or INVALID. UTF-8 is the
  ;; caller's to check first.
  (func $decode (export "decode")
    (param $base i32) (param $length i32) (param $stack i32) (param $records i32) (param $lists i32) (result i32)
    (local $end i32)
    (local $i i32)
    (local $status i32)
    (local $uid_start i32)
    (local $uid_end i32)
    (local $ts_start i32)
    (local $ts_end i32)
    (local $ts i64)
    (local.set $end (i32.add (local.get $base) (local.get $length)))
    (local.set $i (call $whitespace_end (local.get $base) (local.get $end)))
    (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $EMPTY))))
    (if (i32.ne (i32.load8_u (local.get $i)) (global.get $OPEN_BRACE)) (then (return (global.get $NOT_OBJECT))))
    (local.set $status
      (call $scan (local.get $base) (local.get $length) (i32.sub (local.get $i) (local.get $base))
        (local.get $stack) (local.get $records) (local.get $lists)))
    (if (i32.ne (local.get $status) (global.get $OK)) (then (return (local.get $status))))
    (local.set $uid_start (i32.load offset=0 (global.get $RESULTS)))
    (local.set $uid_end (i32.load offset=4 (global.get $RESULTS)))
    (local.set $ts_start (i32.load offset=8 (global.get $RESULTS)))
    (local.set $ts_end (i32.load offset=12 (global.get $RESULTS)))
    (if (i32.or (i32.lt_s (local.get $uid_start) (i32.const 0)) (i32.lt_s (local.get $ts_start) (i32.const 0)))
      (then (return (global.get $RANGES_ONLY))))
    ;; The uid's content, between its quotes: not empty, no backslash.
    (local.set $uid_start (i32.add (local.get $base) (local.get $uid_start)))
    (local.set $uid_end (i32.add (local.get $base) (local.get $uid_end)))
    (if (i32.ne (i32.load8_u (local.get $uid_start)) (global.get $QUOTE)) (then (return (global.get $RANGES_ONLY))))
    (local.set $uid_start (i32.add (local.get $uid_start) (i32.const 1)))
    (local.set $uid_end (i32.sub (local.get $uid_end) (i32.const 1)))
    (if (i32.ge_u (local.get $uid_start) (local.get $uid_end)) (then (return (global.get $RANGES_ONLY))))
    (local.set $i (local.get $uid_start))
    (loop $byte
      (if (i32.eq (i32.load8_u (local.get $i)) (global.get $BACKSLASH)) (then (return (global.get $RANGES_ONLY))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $byte (i32.lt_u (local.get $i) (local.get $uid_end))))
    ;; The ts: plain digits, bare or quoted.
    (local.set $ts_start (i32.add (local.get $base) (local.get $ts_start)))
    (local.set $ts_end (i32.add (local.get $base) (local.get $ts_end)))
    (if (i32.eq (i32.load8_u (local.get $ts_start)) (global.get $QUOTE))
      (then
        (local.set $ts_start (i32.add (local.get $ts_start) (i32.const 1)))
        (local.set $ts_end (i32.sub (local.get $ts_end) (i32.const 1)))))
    (local.set $ts (call $plain_ts (local.get $ts_start) (local.get $ts_end)))
    (if (i64.lt_s (local.get $ts) (i64.const 0)) (then (return (global.get $RANGES_ONLY))))
    (call $hash (local.get $uid_start) (i32.sub (local.get $uid_end) (local.get $uid_start)))
    (i32.store (global.get $TS_AT) (i32.wrap_i64 (local.get $ts)))
    (global.get $DECODED))
)
