; hard, by examples: (+ (* (- 4) x) 77) from 0, 1, + and -
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int)) ((S Int (x 0 1 (+ S S) (- S S)))))
(constraint (= (f (- 11)) 121))
(constraint (= (f (- 31)) 201))
(constraint (= (f (- 16)) 141))
(constraint (= (f 31) (- 47)))
(constraint (= (f 18) 5))
(constraint (= (f (- 29)) 193))
(constraint (= (f 27) (- 31)))
(constraint (= (f 0) 77))
(check-synth)
