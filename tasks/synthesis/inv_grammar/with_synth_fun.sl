; an invariant and an ordinary function together: f must bound x by a term of y in every reachable state
(set-logic LIA)
(synth-inv inv ((x Int) (y Int)))
(synth-fun f ((y Int)) Int
  ((I Int))
  ((I Int (y 0 1 (+ I I)))))
(define-fun pre ((x Int) (y Int)) Bool (and (= x 0) (= y 0)))
(define-fun trans ((x Int) (y Int) (x! Int) (y! Int)) Bool (and (= x! (+ x 1)) (= y! (+ y 1))))
(define-fun post ((x Int) (y Int)) Bool true)
(inv-constraint inv pre trans post)
(declare-var a Int)
(declare-var b Int)
(constraint (=> (inv a b) (<= a (f b))))
(check-synth)
