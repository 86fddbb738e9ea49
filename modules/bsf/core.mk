# The bsf core (KDF, Ub checks, BootstrappingInfo) is built on ims_aka's cores (Milenage, AKA,
# Digest, the pending-challenge store), compiled in from modules/ims_aka, libcrypto, and libssl
# for the TLS cipher suite codes of the NAF_Id (ua.c); identities are compared with pidf_filter's
# uri_id.
CORE_CFLAGS_bsf := -Imodules/ims_aka -Imodules/pidf_filter
CORE_LIBS_bsf := modules/ims_aka/milenage.c modules/ims_aka/aka.c modules/ims_aka/digest.c \
                 modules/ims_aka/vstore.c modules/pidf_filter/uri_id.c -lssl -lcrypto
