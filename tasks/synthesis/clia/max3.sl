; max of 3, with a grammar
(set-logic LIA)
(synth-fun m ((x1 Int) (x2 Int) (x3 Int)) Int
  ((S Int) (B Bool)) ((S Int (x1 x2 x3 0 1 (+ S S) (- S S) (ite B S S))) (B Bool ((<= S S) (< S S) (= S S) (and B B) (not B)))))
(declare-var x1 Int)
(declare-var x2 Int)
(declare-var x3 Int)
(constraint (>= (m x1 x2 x3) x1))
(constraint (>= (m x1 x2 x3) x2))
(constraint (>= (m x1 x2 x3) x3))
(constraint (or (= (m x1 x2 x3) x1) (= (m x1 x2 x3) x2) (= (m x1 x2 x3) x3)))
(check-synth)
