; x = y is the invariant needed, but the grammar only has boxes (conjunctions of one variable compared
; with 0 or 1): none contains every (k, k) and excludes (2, 3), so no invariant is expressible
(set-logic LIA)
(synth-inv inv ((x Int) (y Int))
  ((B Bool) (V Int) (C Int))
  ((B Bool ((<= V C) (<= C V) (and B B)))
   (V Int (x y))
   (C Int (0 1))))
(define-fun pre ((x Int) (y Int)) Bool (and (= x 0) (= y 0)))
(define-fun trans ((x Int) (y Int) (x! Int) (y! Int)) Bool (and (= x! (+ x 1)) (= y! (+ y 1))))
(define-fun post ((x Int) (y Int)) Bool (= x y))
(inv-constraint inv pre trans post)
(check-synth)
