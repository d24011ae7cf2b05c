; absolute value in a grammar without unary minus
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int) (B Bool)) ((S Int (x 0 1 (+ S S) (- S S) (ite B S S))) (B Bool ((<= S S) (< S S) (= S S) (and B B) (not B)))))
(declare-var x Int)
(constraint (>= (f x) 0))
(constraint (or (= (f x) x) (= (+ (f x) x) 0)))
(check-synth)
