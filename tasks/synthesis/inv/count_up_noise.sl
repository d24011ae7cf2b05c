; confounding variables, one updated from the others
(set-logic LIA)
(synth-inv inv ((i Int) (n Int) (junk1 Int) (junk2 Int) (junk3 Int)))
(define-fun pre ((i Int) (n Int) (junk1 Int) (junk2 Int) (junk3 Int)) Bool
  (and (= i 0) (>= n 0) (= junk1 7)))
(define-fun trans ((i Int) (n Int) (junk1 Int) (junk2 Int) (junk3 Int) (i! Int) (n! Int) (junk1! Int) (junk2! Int) (junk3! Int)) Bool
  (and (< i n) (= i! (+ i 1)) (= n! n) (= junk1! (+ junk2 junk3))))
(define-fun post ((i Int) (n Int) (junk1 Int) (junk2 Int) (junk3 Int)) Bool
  (=> (>= i n) (= i n)))
(inv-constraint inv pre trans post)
(check-synth)
