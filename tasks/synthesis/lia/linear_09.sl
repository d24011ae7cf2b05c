; random linear target (+ (* 2 x) (* (- 1) y)), with a grammar
(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int
  ((S Int)) ((S Int (x y 0 1 (+ S S) (- S S)))))
(declare-var x Int)
(declare-var y Int)
(constraint (= (f x y) (+ (* 2 x) (* (- 1) y))))
(check-synth)
