;; The root-level scan of one JSON frame: the hot path of the `fast` decoder.
;;
;; JavaScript copies the frame into this module's memory at FRAME_BASE (one
;; memcpy, no string) and calls `scan`, which follows strings, escapes and
;; nesting, checks the root object's grammar, and writes where the values of
;; the root `uid` and `ts` keys start and end into RESULTS. JavaScript then
;; hashes the uid bytes and parses the ts in place (a few dozen bytes).
;;
;; Why SIMD: a real frame is ~90% string content, so finding the closing quote
;; of each string is most of the cost. `$string_end` compares 16 bytes at a time
;; with the quote byte (i8x16.eq + i8x16.bitmask) and only looks at a quote's
;; neighbours when one is found.
;;
;; What it validates, the same as the JavaScript scanner (src/scanner.ts):
;; that every string ends; the root object's grammar, including its scalar
;; values (numbers, true, false, null); the balance and bracket types of nested
;; values; that only bytes JSON allows appear outside strings. It skips, for
;; speed: escapes and raw control characters inside strings, and the order of
;; commas, colons and scalars inside nested values. UTF-8 is checked before
;; the call (natively), the escapes of uid and ts after it, in JavaScript.
;; A frame that ends before its root object closes is always TRUNCATED.
;;
;; Memory: the fixed area below, then the frame at FRAME_BASE, then at least
;; VECTOR_BYTES of slack (a block load may run past the frame's end; the bytes
;; there are stale, and every position found is checked against `end`), then
;; the nesting stack, which JavaScript places and sizes (one byte per open
;; bracket, so the frame's length is always enough).

(module
  (memory (export "memory") 1)

  ;; ---- layout of the fixed area
  ;; Four i32s: uid value start, uid value end, ts value start, ts value end,
  ;; as offsets into the frame (a string value's range includes its quotes);
  ;; -1 when the frame has no such root key.
  (global $RESULTS i32 (i32.const 0))
  (global $LITERALS i32 (i32.const 32))
  (global $PLAIN_BYTES i32 (i32.const 64))
  (global $CLASS_TABLE i32 (i32.const 256))
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

  ;; Bytes that may appear outside strings inside a nested value: whitespace,
  ;; separators, and the letters of numbers and literals; ends at a 0 byte.
  (data (i32.const 64) " \t\r\n,:-+.0123456789eEtrufalsn\00")

  ;; ---- results of the position functions, and of `scan`
  ;; Positions are never negative, so failures are.
  (global $OK i32 (i32.const 0))
  (global $TRUNCATED i32 (i32.const -1))
  (global $INVALID i32 (i32.const -2))
  (global $ABSENT i32 (i32.const -1))

  ;; ---- classes of bytes outside strings inside a nested value
  (global $PLAIN i32 (i32.const 0))
  (global $CLASS_QUOTE i32 (i32.const 1))
  (global $CLASS_OPEN i32 (i32.const 2))
  (global $CLASS_CLOSE i32 (i32.const 3))
  (global $CLASS_INVALID i32 (i32.const 4))
  (global $BYTE_VALUES i32 (i32.const 256))

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
  (global $CLOSE_BRACKET i32 (i32.const 0x5d))
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
  ;; In ASCII the closer of `{` and `[` is two code points further (`}`, `]`).
  (global $CLOSER_OFFSET i32 (i32.const 2))
  (global $VECTOR_BYTES i32 (i32.const 16))

  ;; Fills the class table from the plain-byte list; runs once, at instantiation.
  (func $init
    (local $k i32)
    (local $byte i32)
    (local.set $k (i32.const 0))
    (loop $fill
      (i32.store8 (i32.add (global.get $CLASS_TABLE) (local.get $k)) (global.get $CLASS_INVALID))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $k) (global.get $BYTE_VALUES))))
    (local.set $k (global.get $PLAIN_BYTES))
    (block $listed
      (loop $plain
        (local.set $byte (i32.load8_u (local.get $k)))
        (br_if $listed (i32.eqz (local.get $byte)))
        (i32.store8 (i32.add (global.get $CLASS_TABLE) (local.get $byte)) (global.get $PLAIN))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $plain)))
    (i32.store8 (i32.add (global.get $CLASS_TABLE) (global.get $QUOTE)) (global.get $CLASS_QUOTE))
    (i32.store8 (i32.add (global.get $CLASS_TABLE) (global.get $OPEN_BRACE)) (global.get $CLASS_OPEN))
    (i32.store8 (i32.add (global.get $CLASS_TABLE) (global.get $OPEN_BRACKET)) (global.get $CLASS_OPEN))
    (i32.store8 (i32.add (global.get $CLASS_TABLE) (global.get $CLOSE_BRACE)) (global.get $CLASS_CLOSE))
    (i32.store8 (i32.add (global.get $CLASS_TABLE) (global.get $CLOSE_BRACKET)) (global.get $CLASS_CLOSE)))
  (start $init)

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

  ;; Position after the closing quote of the string whose content starts at
  ;; $p, or TRUNCATED.
  (func $string_end (param $p i32) (param $end i32) (result i32)
    (local $quotes v128)
    (local $mask i32)
    (local $q i32)
    (local $k i32)
    (local.set $quotes (i8x16.splat (global.get $QUOTE)))
    (loop $block
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (global.get $TRUNCATED))))
      ;; One bit per byte of the 16 at $p that is a quote. The load may run
      ;; past $end (the memory has slack there); such quotes are stale bytes
      ;; and are refused below.
      (local.set $mask
        (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (local.get $quotes))))
      (block $no_quote_left
        (loop $quote
          (br_if $no_quote_left (i32.eqz (local.get $mask)))
          (local.set $q (i32.add (local.get $p) (i32.ctz (local.get $mask))))
          (if (i32.ge_u (local.get $q) (local.get $end)) (then (return (global.get $TRUNCATED))))
          ;; A quote ends the string unless an odd run of backslashes
          ;; precedes it (`\"` is an escaped quote, `\\"` an escaped backslash
          ;; and the end). The run cannot reach past the opening quote, so
          ;; this is exact; the common case, no backslash, costs one compare.
          (if (i32.ne (i32.load8_u (i32.sub (local.get $q) (i32.const 1))) (global.get $BACKSLASH))
            (then (return (i32.add (local.get $q) (i32.const 1)))))
          (local.set $k (i32.sub (local.get $q) (i32.const 2)))
          (loop $run
            (if (i32.eq (i32.load8_u (local.get $k)) (global.get $BACKSLASH))
              (then
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $run))))
          (if (i32.eqz (i32.and (i32.sub (i32.sub (local.get $q) (i32.const 1)) (local.get $k)) (i32.const 1)))
            (then (return (i32.add (local.get $q) (i32.const 1)))))
          ;; Escaped: try the next quote of the same block.
          (local.set $mask (i32.and (local.get $mask) (i32.sub (local.get $mask) (i32.const 1))))
          (br $quote)))
      (local.set $p (i32.add (local.get $p) (global.get $VECTOR_BYTES)))
      (br $block))
    (unreachable))

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

  ;; Position after the object or array that opens at $i, checking that
  ;; brackets balance and match, but not the grammar between them. $stack
  ;; holds the expected closers of the open brackets, innermost last.
  (func $nested_end (param $i i32) (param $end i32) (param $stack i32) (result i32)
    (local $depth i32)
    (local $c i32)
    (local $class i32)
    (loop $token
      ;; Between strings there are only short runs of numbers, literals and
      ;; separators, so a table lookup per byte is all they cost.
      (block $found
        (loop $plain
          (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
          (local.set $c (i32.load8_u (local.get $i)))
          (local.set $class (i32.load8_u (i32.add (global.get $CLASS_TABLE) (local.get $c))))
          (br_if $found (i32.ne (local.get $class) (global.get $PLAIN)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $plain)))
      (if (i32.eq (local.get $class) (global.get $CLASS_QUOTE))
        (then
          (local.set $i (call $string_end (i32.add (local.get $i) (i32.const 1)) (local.get $end)))
          (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (local.get $i))))
          (br $token)))
      (if (i32.eq (local.get $class) (global.get $CLASS_OPEN))
        (then
          (i32.store8 (i32.add (local.get $stack) (local.get $depth)) (i32.add (local.get $c) (global.get $CLOSER_OFFSET)))
          (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $token)))
      (if (i32.eq (local.get $class) (global.get $CLASS_CLOSE))
        (then
          ;; The first byte is an opener, so depth is at least 1 here.
          (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
          (if (i32.ne (i32.load8_u (i32.add (local.get $stack) (local.get $depth))) (local.get $c))
            (then (return (global.get $INVALID))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (if (i32.eqz (local.get $depth)) (then (return (local.get $i))))
          (br $token))))
    (global.get $INVALID))

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

  ;; Scans the frame of $length bytes at $base, whose root `{` is at offset
  ;; $open, using $stack for nesting (room for $length bytes). Returns OK and
  ;; fills RESULTS, or TRUNCATED, or INVALID.
  (func (export "scan") (param $base i32) (param $length i32) (param $open i32) (param $stack i32) (result i32)
    (local $end i32)
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
    (local.set $i
      (call $whitespace_end (i32.add (i32.add (local.get $base) (local.get $open)) (i32.const 1)) (local.get $end)))
    (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
    (block $closed
      (br_if $closed (i32.eq (i32.load8_u (local.get $i)) (global.get $CLOSE_BRACE)))
      (loop $member
        (if (i32.ne (i32.load8_u (local.get $i)) (global.get $QUOTE)) (then (return (global.get $INVALID))))
        (local.set $value_end (call $string_end (i32.add (local.get $i) (i32.const 1)) (local.get $end)))
        (if (i32.lt_s (local.get $value_end) (i32.const 0)) (then (return (local.get $value_end))))
        (local.set $key
          (call $key_kind (i32.add (local.get $i) (i32.const 1)) (i32.sub (local.get $value_end) (i32.const 1))))
        ;; Frames seldom have whitespace between tokens, and every whitespace
        ;; byte is at most SPACE, so one compare usually spares the call. (A
        ;; byte read at or past $end is stale; the $end checks that follow
        ;; refuse it.)
        (local.set $i (local.get $value_end))
        (if (i32.le_u (i32.load8_u (local.get $i)) (global.get $SPACE))
          (then (local.set $i (call $whitespace_end (local.get $i) (local.get $end)))))
        (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (global.get $TRUNCATED))))
        (if (i32.ne (i32.load8_u (local.get $i)) (global.get $COLON)) (then (return (global.get $INVALID))))
        (local.set $value_start (i32.add (local.get $i) (i32.const 1)))
        (if (i32.le_u (i32.load8_u (local.get $value_start)) (global.get $SPACE))
          (then (local.set $value_start (call $whitespace_end (local.get $value_start) (local.get $end)))))
        (if (i32.ge_u (local.get $value_start) (local.get $end)) (then (return (global.get $TRUNCATED))))
        (local.set $c (i32.load8_u (local.get $value_start)))
        (if (i32.eq (local.get $c) (global.get $QUOTE))
          (then
            (local.set $value_end (call $string_end (i32.add (local.get $value_start) (i32.const 1)) (local.get $end))))
          (else
            (if (i32.or (i32.eq (local.get $c) (global.get $OPEN_BRACE)) (i32.eq (local.get $c) (global.get $OPEN_BRACKET)))
              (then
                (local.set $value_end (call $nested_end (local.get $value_start) (local.get $end) (local.get $stack))))
              (else
                (local.set $value_end (call $scalar_end (local.get $value_start) (local.get $end)))))))
        (if (i32.lt_s (local.get $value_end) (i32.const 0)) (then (return (local.get $value_end))))
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
)
