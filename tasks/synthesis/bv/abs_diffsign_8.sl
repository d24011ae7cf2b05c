; absolute value without branches, 8 bits
(set-logic BV)
(synth-fun f ((x (_ BitVec 8))) (_ BitVec 8)
  ((S (_ BitVec 8))) ((S (_ BitVec 8) (x #x00 #x07 (bvxor S S) (bvsub S S) (bvashr S S) (bvadd S S)))))
(declare-var x (_ BitVec 8))
(constraint (= (f x) (bvsub (bvxor x (bvashr x #x07)) (bvashr x #x07))))
(check-synth)
