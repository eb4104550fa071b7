package order

import "strings"

// isoCountries are the 249 officially assigned ISO 3166-1 alpha-2 codes,
// taken from Debian's iso-codes 4.15.0 (iso_3166-1.json), which follows
// the ISO 3166 Maintenance Agency; every code has a space on each side.
// Reserved and user-assigned codes (ZZ, EU, UK, XK) are not countries an
// address can be in. countries_test.go checks the table against the
// iso-codes file where that package is installed. No Go library was both
// strict and well kept: golang.org/x/text/language also accepts CLDR's
// extra regions (UN, EZ) and withdrawn codes (SU, YU).
const isoCountries = `
 AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE 
 BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD 
 CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM 
 DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF 
 GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU 
 ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN 
 KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME 
 MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA 
 NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM 
 PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI 
 SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK 
 TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI 
 VN VU WF WS YE YT ZA ZM ZW 
`

// isCountry reports whether code is an assigned ISO 3166-1 alpha-2 code.
func isCountry(code string) bool {
	return len(code) == 2 && strings.Contains(isoCountries, " "+code+" ")
}
