; infeasible: conflicting examples, with a grammar
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int) (B Bool)) ((S Int (x 0 1 (+ S S) (- S S) (ite B S S))) (B Bool ((<= S S) (< S S) (= S S) (and B B) (not B)))))
(constraint (= (f 0) 0))
(constraint (= (f 5) 1))
(constraint (= (f 0) 2))
(check-synth)
