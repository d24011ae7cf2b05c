; random linear target (+ (* 3 x) (* 3 y) 4), with a grammar
(set-logic LIA)
(synth-fun f ((x Int) (y Int) (z Int)) Int
  ((S Int)) ((S Int (x y z 0 1 (+ S S) (- S S)))))
(declare-var x Int)
(declare-var y Int)
(declare-var z Int)
(constraint (= (f x y z) (+ (* 3 x) (* 3 y) 4)))
(check-synth)
