; infeasible: conflicting examples
(set-logic BV)
(synth-fun f ((x (_ BitVec 8))) (_ BitVec 8)
  ((S (_ BitVec 8))) ((S (_ BitVec 8) (x #x00 #x01 (bvand S S) (bvor S S) (bvxor S S) (bvnot S) (bvneg S) (bvadd S S) (bvsub S S)))))
(constraint (= (f #x03) #x01))
(constraint (= (f #x10) #x10))
(constraint (= (f #x03) #x02))
(check-synth)
