// zlib, for gzip request bodies (RudderStack's SDKs compress by default).
#include <zlib.h>
