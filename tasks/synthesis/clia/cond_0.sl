; random conditional target from the grammar
(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int
  ((S Int) (B Bool)) ((S Int (x y 0 1 (+ S S) (- S S) (ite B S S))) (B Bool ((<= S S) (< S S) (= S S) (and B B) (not B)))))
(declare-var x Int)
(declare-var y Int)
(constraint (= (f x y) (ite (< 0 y) (ite (<= 1 0) (+ 1 1) (- 1 x)) (+ (+ 1 0) (- 1 1)))))
(check-synth)
