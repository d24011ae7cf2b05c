; count_down with SSA copies and a temporary
(set-logic LIA)
(synth-inv inv-f ((x Int) (n Int) (tmp Int) (x_0 Int) (x_1 Int) (n_0 Int)))
(define-fun pre-f ((x Int) (n Int) (tmp Int) (x_0 Int) (x_1 Int) (n_0 Int)) Bool
  (and (= n n_0) (>= n_0 0) (= x n_0)))
(define-fun trans-f ((x Int) (n Int) (tmp Int) (x_0 Int) (x_1 Int) (n_0 Int) (x! Int) (n! Int) (tmp! Int) (x_0! Int) (x_1! Int) (n_0! Int)) Bool
  (and (= x_1 x) (> x_1 0) (= x_0 (- x_1 1)) (= x! x_0) (= n! n) (= tmp! (+ tmp x))))
(define-fun post-f ((x Int) (n Int) (tmp Int) (x_0 Int) (x_1 Int) (n_0 Int)) Bool
  (=> (<= x 0) (= x 0)))
(inv-constraint inv-f pre-f trans-f post-f)
(check-synth)
