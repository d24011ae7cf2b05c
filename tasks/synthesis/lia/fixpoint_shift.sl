; f(x+1) = f(x) + 3 and f(0) = 7: 3x + 7
(set-logic LIA)
(synth-fun f ((x Int)) Int)
(declare-var x Int)
(constraint (= (f (+ x 1)) (+ (f x) 3)))
(constraint (= (f 0) 7))
(check-synth)
