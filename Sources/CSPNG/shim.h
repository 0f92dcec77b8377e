// libspng (Debian's libspng-dev), to decode the PNG files of image folders.
#include <spng.h>
