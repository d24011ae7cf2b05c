; floor average specified in 9 bits, answer in 8
(set-logic BV)
(synth-fun f ((x (_ BitVec 8)) (y (_ BitVec 8))) (_ BitVec 8)
  ((S (_ BitVec 8))) ((S (_ BitVec 8) (x y #x00 #x01 (bvand S S) (bvor S S) (bvxor S S) (bvnot S) (bvneg S) (bvadd S S) (bvsub S S) (bvshl S S) (bvlshr S S)))))
(declare-var x (_ BitVec 8))
(declare-var y (_ BitVec 8))
(constraint (= ((_ zero_extend 1) (f x y)) (bvlshr (bvadd ((_ zero_extend 1) x) ((_ zero_extend 1) y)) #b000000001)))
(check-synth)
