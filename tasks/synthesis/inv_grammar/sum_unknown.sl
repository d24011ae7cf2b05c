; s = 2 * i is the invariant needed; the grammar compares a variable with an unbounded constant only,
; so no invariant is expressible, but the constants make the space infinite: not provable by enumeration
(set-logic LIA)
(synth-inv inv ((i Int) (s Int))
  ((B Bool) (V Int) (C Int))
  ((B Bool ((<= V C) (<= C V) (and B B) (or B B)))
   (V Int (i s))
   (C Int (0 1 (+ C 1)))))
(define-fun pre ((i Int) (s Int)) Bool (and (= i 0) (= s 0)))
(define-fun trans ((i Int) (s Int) (i! Int) (s! Int)) Bool (and (= i! (+ i 1)) (= s! (+ s 2))))
(define-fun post ((i Int) (s Int)) Bool (= s (+ i i)))
(inv-constraint inv pre trans post)
(check-synth)
