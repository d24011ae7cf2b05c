; sum_double with SSA copies as extra arguments
(set-logic LIA)
(synth-inv inv-f ((i Int) (n Int) (s Int) (i_0 Int) (i_1 Int) (i_2 Int) (s_0 Int) (s_1 Int) (s_2 Int) (n_0 Int)))
(define-fun pre-f ((i Int) (n Int) (s Int) (i_0 Int) (i_1 Int) (i_2 Int) (s_0 Int) (s_1 Int) (s_2 Int) (n_0 Int)) Bool
  (and (= i i_0) (= i_0 0) (= s s_0) (= s_0 0) (= n n_0) (>= n_0 0)))
(define-fun trans-f ((i Int) (n Int) (s Int) (i_0 Int) (i_1 Int) (i_2 Int) (s_0 Int) (s_1 Int) (s_2 Int) (n_0 Int) (i! Int) (n! Int) (s! Int) (i_0! Int) (i_1! Int) (i_2! Int) (s_0! Int) (s_1! Int) (s_2! Int) (n_0! Int)) Bool
  (and (= i_1 i) (= s_1 s) (< i_1 n) (= i_2 (+ i_1 1)) (= s_2 (+ s_1 2)) (= i! i_2) (= s! s_2) (= n! n)))
(define-fun post-f ((i Int) (n Int) (s Int) (i_0 Int) (i_1 Int) (i_2 Int) (s_0 Int) (s_1 Int) (s_2 Int) (n_0 Int)) Bool
  (=> (>= i n) (= s (* 2 n))))
(inv-constraint inv-f pre-f trans-f post-f)
(check-synth)
