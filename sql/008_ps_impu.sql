-- TS 33.141 4.5.1: the PS takes a PUBLISH only for one of the publisher's own identities, the
-- IMPUs of its implicit registration set (TS 23.228 5.2.1a; ims_impu of 002_ims_aka.sql), so
-- presence_authz reads which IMPUs belong together. ims_impu names identities only: the keys
-- (K, OPc) and SQN stay in ims_subscriber, which the PS still cannot read.
GRANT SELECT (impi, impu) ON ims_impu TO presec_ps;
