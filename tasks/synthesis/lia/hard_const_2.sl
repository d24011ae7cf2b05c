; hard: 13x + 101 built from 0, 1, + and -
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int)) ((S Int (x 0 1 (+ S S) (- S S)))))
(declare-var x Int)
(constraint (= (f x) (+ (* 13 x) 101)))
(check-synth)
