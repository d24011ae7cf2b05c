; random linear target (+ y (* (- 1) z) 1), with a grammar
(set-logic LIA)
(synth-fun f ((x Int) (y Int) (z Int)) Int
  ((S Int)) ((S Int (x y z 0 1 (+ S S) (- S S)))))
(declare-var x Int)
(declare-var y Int)
(declare-var z Int)
(constraint (<= (+ (f x y z) (f x y z)) (* 2 (+ y (* (- 1) z) 1))))
(constraint (>= (+ (f x y z) (f x y z)) (* 2 (+ y (* (- 1) z) 1))))
(check-synth)
