; x counts down to 0
(set-logic LIA)
(synth-inv inv ((x Int) (n Int)))
(define-fun pre ((x Int) (n Int)) Bool
  (and (= x n) (>= n 0)))
(define-fun trans ((x Int) (n Int) (x! Int) (n! Int)) Bool
  (and (> x 0) (= x! (- x 1)) (= n! n)))
(define-fun post ((x Int) (n Int)) Bool
  (=> (<= x 0) (= x 0)))
(inv-constraint inv pre trans post)
(check-synth)
