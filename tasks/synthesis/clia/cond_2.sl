; random conditional target from the grammar
(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int
  ((S Int) (B Bool)) ((S Int (x y 0 1 (+ S S) (- S S) (ite B S S))) (B Bool ((<= S S) (< S S) (= S S) (and B B) (not B)))))
(declare-var x Int)
(declare-var y Int)
(constraint (= (f x y) (ite (< (+ y y) x) (+ (+ y x) (ite (< 1 y) y 1)) (ite (< 0 x) (- y 0) (- y y)))))
(check-synth)
